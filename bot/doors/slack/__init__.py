"""The Slack door and `promobot serve`.

app.py             the bolt App: slash commands and clicks → commands for the core
payloads.py        what Slack's signed payloads say (pure)
replies.py         what the person who typed or clicked hears, through the response URL
modals.py          Approve with comment… and Deny: the forms and their submissions
server.py          `promobot serve`: options, the checks before anything starts
worker.py          what each process builds: the Service, the App, the webhook door
schedule.py        the scheduled passes each process runs
http_app.py        the HTTP routes each worker serves (WSGI)
asgi_bridge.py     the routes behind the worker's event loop: request read whole, app in threads
gunicorn_run.py    serving HTTP with gunicorn
gunicorn_worker.py gunicorn's asyncio worker, with a header deadline and a quick stop
socket_mode.py     serving over Slack's Socket Mode
socket_http.py     /healthz and MLflow's webhook beside Socket Mode
"""
