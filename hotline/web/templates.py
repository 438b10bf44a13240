"""The page frame every console page shares: head, navigation by role, language switch."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from hotline.web import csrf
from hotline.web.context import SESSION
from hotline.web.html import Safe, h, join
from hotline.web.i18n import ROLE_WORDS, Words, lang_of, word

NAV = (  # (path, word, roles that see it)
    ("/wallboard", "wallboard", ("supervisor", "admin")),
    ("/desk", "desk", ("agent",)),
    ("/dept", "dept_portal", ("department", "supervisor", "admin")),
    ("/company", "company_portal", ("company",)),
    ("/leader", "leader_portal", ("leader",)),
    ("/centre", "centre_portal", ("elderly_centre", "supervisor", "admin")),
    ("/reports/departments", "reports_nav", ("department", "supervisor", "admin")),
    ("/reports/agents", "agents_nav", ("supervisor", "admin")),
    ("/elderly", "elderly_registry", ("admin", "elderly_centre")),
)


def page(request: web.Request, title: str, body: Safe, *, scripts: Iterable[str] = (),
         styles: Iterable[str] = (), status: int = 200, body_class: str = "") -> web.Response:
    """A complete HTML page; scripts and extra style sheets are files under /static (the
    CSP forbids inline JS and CSS)."""
    w = Words(lang_of(request))
    session = request.get(SESSION)
    links = []
    if session:
        for path, key, roles in NAV:
            if session["role"] in roles:
                links.append(h('<a href="{}">{}</a>', path, w(key)))
        links.append(h('<span class="who">{} ({})</span>', session["name"],
                       word(session["role"], w.lang, ROLE_WORDS)))
        links.append(h('<form method="post" action="/logout" class="inline">{}'
                       '<button type="submit" id="logout">{}</button></form>',
                       csrf.field(request), w.logout))
    else:
        links.append(h('<a href="/login">{}</a>', w.login))
    other = "en" if w.lang == "zh" else "zh"
    links.append(h('<a href="/lang/{}" class="lang">{}</a>', other,
                   "English" if other == "en" else "中文"))
    tags = join([*(h('<link rel="stylesheet" href="/static/{}">', s) for s in styles),
                 *(h('<script src="/static/{}" defer></script>', s) for s in scripts)])
    html_text = h(
        '<!doctype html><html lang="{}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{} · {}</title>"
        '<link rel="stylesheet" href="/static/app.css">{}</head>'
        '<body class="{}" data-csrf="{}"><nav><a href="/" class="brand">{}</a>{}</nav>'
        "<main>{}</main></body></html>",
        "zh-CN" if w.lang == "zh" else "en", title, w.app, tags, body_class,
        csrf.token_for(request), w.app, join(links), body,
    )
    return web.Response(text=html_text, content_type="text/html", status=status)
