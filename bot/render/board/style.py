"""The board's one stylesheet, served from the board's own path (CSP `style-src 'self'`).
Colours are checked for contrast (text 4.5:1 on its background at least); state is said
in words too, never by colour alone. One column on a phone, tables scroll sideways."""

CSS = """\
:root{--ink:#1a1a1a;--muted:#555;--line:#c8c8c8;--bg:#fff;--soft:#f3f4f6;
--ok:#17612a;--bad:#a3001b;--warn:#7a4d00;--link:#0b4fbf}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--ink);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;
justify-content:space-between;padding:.6rem 1rem;border-bottom:1px solid var(--line)}
header nav a{font-weight:700;font-size:1.1rem}
main{padding:0 1rem 2rem;max-width:1200px}
a{color:var(--link)}
h1{font-size:1.5rem;margin:1rem 0 .5rem;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
.notice{margin:0;padding:.5rem 1rem;background:#fff4d6;color:#3d2a00;
border-bottom:1px solid #d9b44a}
.muted{color:var(--muted)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.25rem 0 1rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;
vertical-align:top;overflow-wrap:break-word}
th{background:var(--soft)}
.state{font-weight:600;white-space:nowrap}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.cut{text-decoration:underline dotted}
code{font-size:.92em;background:var(--soft);padding:0 .2em;overflow-wrap:anywhere}
.model{border:1px solid var(--line);border-radius:6px;padding:.25rem .75rem;margin:.75rem 0}
.model h2{margin:.4rem 0}
.pending{font-weight:600}
.tz{font-size:.9rem}
.tz input{font:inherit;padding:.1rem .3rem}
.tz button{font:inherit}
figure{margin:.5rem 0 1rem}
figure svg{width:100%;height:auto;display:block}
figcaption{font-size:.9rem;color:var(--muted)}
.pager{display:flex;gap:1rem}
.legend{font-size:.9rem;color:var(--muted)}
@media (max-width:640px){body{font-size:15px}main{padding:0 .5rem 2rem}
th,td{padding:.3rem .35rem}}
"""
