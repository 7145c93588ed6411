"""Pages that are not the product: bot checks, access denied, soft 404s, JavaScript-only prices."""

from __future__ import annotations

import re

from tracker.extract.page import Page, hidden_by_markup, text_of

# A title that names a bot check or a refusal: the page is not the product.
_BLOCKED_TITLE = re.compile(
    r"^\W*(just a moment|attention required|access denied|access to this page has been denied|"
    r"are you (a robot|human)|robot check|bot check|security check|captcha|verify you are human|"
    r"human verification|pardon our interruption|request unsuccessful|forbidden|403\b|"
    r"error 403|ddos-guard|checking your browser|please wait|one more step|"
    r"доступ (запрещ|огранич)|проверка (браузера|безопасности)|вы не робот|zugriff verweigert|"
    r"zugang verweigert|accès refusé|acceso denegado|accesso negato|sicherheitsüberprüfung)"
    r"[\W\d]*(?:$|[|:–—-]|\bcloudflare)",
    re.IGNORECASE,
)
_BLOCKED_ANYWHERE_IN_TITLE = re.compile(r"\b(captcha|bot protection|are you a robot)\b", re.I)
# Markers of challenge pages from the usual bot-protection services (searched lower-cased).
_CHALLENGE = (
    b"cf-chl-",
    b"cf_chl_opt",
    b"challenge-form",
    b'id="challenge-',
    b"captcha-delivery.com",
    b"px-captcha",
    b"_incapsula_resource",
    b"incapsula incident",
    b"distil_r_captcha",
    b"sec-if-cpt-container",
    b"ak-challenge",
    b"awswaf",
    b"ddos-guard.net/",
    b"enable javascript and cookies to continue",
    b"type the characters you see",
)
# A captcha widget: a bot check only on a small page (shops also put one on review forms).
_WIDGET = (b"g-recaptcha", b"h-captcha", b"cf-turnstile", b"smart-captcha")
_DENIED = (
    b"access denied",
    b"you don't have permission to access",
    b"request blocked",
    b"has been blocked",
    b"unusual traffic",
    b"automated queries",
    b"automated requests",
)
_NOT_FOUND = re.compile(
    r"(\b404\b|page not found|not found|no longer available|seite nicht gefunden|"
    r"page introuvable|página no encontrada|pagina non trovata|страница не найдена|"
    r"produkt nicht gefunden|product not found)",
    re.IGNORECASE,
)
# A price slot left for a script: a template tag ("{{ price }}"), a binding attribute naming a
# price, or an empty element with a price class. Checked around each "price" in the page (a
# regex over the whole page costs more than parsing it).
_BINDINGS = (b"data-bind=", b"v-text=", b"ng-bind=", b"x-text=")
_EMPTY_AFTER_CLASS = re.compile(rb"""[^"'>]{0,80}["'][^<>]{0,200}>\s*</""")
SMALL_PAGE = 40_000
CHALLENGE_PAGE = 64_000


def blocked_by_title(page: Page, strict: bool = True) -> str | None:
    """The reason when the title says the page is a bot check or a refusal.

    strict: only titles that are nothing but such a notice (safe before any other step).
    """
    title = page.title
    if title and (
        _BLOCKED_TITLE.search(title) or (not strict and _BLOCKED_ANYWHERE_IN_TITLE.search(title))
    ):
        return f"the page is a bot check or a refusal (title {title[:80]!r})"
    return None


def blocked_by_content(page: Page) -> str | None:
    """The reason when a small page with no price looks like a challenge or a refusal.

    Challenge and refusal pages are small; a full shop page is not judged by these markers.
    """
    if len(page.body) > CHALLENGE_PAGE:
        return None
    low = page.lower
    for markers, limit, what in (
        (_CHALLENGE, CHALLENGE_PAGE, "the page is a bot check"),
        (_WIDGET, SMALL_PAGE, "the page is a bot check"),
        (_DENIED, SMALL_PAGE, "the page refuses access"),
    ):
        if len(low) > limit:
            continue
        for marker in markers:
            if marker in low:
                return f"{what} ({marker.decode('ascii')})"
    return None


# A notice beside the product's heading that the product is gone for good.
_GONE_NOTICE = re.compile(
    r"(no longer (available|sold|stocked|offered)|has been discontinued|product is discontinued|"
    r"nicht mehr (verfügbar|erhältlich|lieferbar)|n'est plus (disponible|commercialisé)|"
    r"ya no está disponible|descatalogado|non è più disponibile|fuori produzione|"
    r"больше не (продается|продаётся|доступен)|снят с (производства|продажи)|"
    r"nie jest już dostępny|niet meer (leverbaar|beschikbaar)|finns inte längre)",
    re.IGNORECASE,
)
NOTICE_CHARS = 300


def gone_notice(page: Page) -> str | None:
    """The reason when a short visible notice next to the h1 says the product is gone.

    Read only when no price was found: it turns "no price" into "not found", never the reverse.
    """
    tree = page.tree
    heading = next(tree.iter("h1"), None) if tree is not None else None
    parent = heading.getparent() if heading is not None else None
    if parent is None:
        return None
    for sibling in parent:
        if sibling is heading or not isinstance(sibling.tag, str) or sibling.tag == "script":
            continue
        if hidden_by_markup(sibling):
            continue
        text = " ".join(text_of(sibling).split())
        if len(text) <= NOTICE_CHARS and _GONE_NOTICE.search(text):
            return f"the page says the product is gone ({text[:80]!r})"
    return None


def not_found_reason(page: Page) -> str | None:
    for text in (page.title, page.h1):
        if text and len(text) < 120 and _NOT_FOUND.search(text):
            return f"the page says it is not there ({text[:80]!r})"
    return None


def scripted_price(page: Page) -> bool:
    """True when the page has a price slot that only JavaScript fills."""
    low = page.lower
    start = low.find(b"price")
    while start >= 0:
        if _is_price_slot(low, start):
            return True
        start = low.find(b"price", start + 5)
    return False


def _is_price_slot(low: bytes, start: int) -> bool:
    """Whether the "price" at `start` is in a template tag, a binding or an empty price element."""
    braces = low.rfind(b"{{", max(0, start - 62), start)
    if braces >= 0 and low.find(b"}", braces + 2, start) < 0:
        return True
    quote = max(
        low.rfind(b'"', max(0, start - 81), start), low.rfind(b"'", max(0, start - 81), start)
    )
    if quote < 0:
        return False
    attribute = low[max(0, quote - 10) : quote]
    if attribute.endswith(_BINDINGS):
        return True
    return (
        attribute.endswith(b"class=")
        and low.find(b">", quote, start) < 0
        and _EMPTY_AFTER_CLASS.match(low, start + 5) is not None
    )
