"""The release board's HTML and SVG (docs/board.md): pages.py the two pages, svg.py the
timeline and the verification chart, html.py the escaping and the page shell, style.py
the one stylesheet."""

from bot.render.board.pages import Reader, model_page, overview_page
from bot.render.board.style import CSS

__all__ = ["CSS", "Reader", "model_page", "overview_page"]
