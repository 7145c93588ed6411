"""Pages that are not the product: bot checks, access denied, soft 404s, JavaScript-only prices."""

from __future__ import annotations

import re

from tracker.extract.page import Page

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
# Markers of challenge pages from the usual bot-protection services.
_CHALLENGE = re.compile(
    rb"(cf-chl-|cf_chl_opt|challenge-form|id=[\"']challenge-|captcha-delivery\.com|"
    rb"px-captcha|_Incapsula_Resource|Incapsula incident|distil_r_captcha|"
    rb"sec-if-cpt-container|ak-challenge|awswaf|ddos-guard\.net/|"
    rb"enable javascript and cookies to continue|Type the characters you see)",
    re.IGNORECASE,
)
# A captcha widget: a bot check only on a small page (shops also put one on review forms).
_WIDGET = re.compile(rb"(g-recaptcha|h-captcha|cf-turnstile|smart-captcha)", re.IGNORECASE)
_DENIED = re.compile(
    rb"(access denied|you don't have permission to access|request blocked|"
    rb"your (ip|request) (address )?has been blocked|unusual traffic|"
    rb"automated (queries|requests|access))",
    re.IGNORECASE,
)
_NOT_FOUND = re.compile(
    r"(\b404\b|page not found|not found|no longer available|seite nicht gefunden|"
    r"page introuvable|página no encontrada|pagina non trovata|страница не найдена|"
    r"produkt nicht gefunden|product not found)",
    re.IGNORECASE,
)
_SCRIPTED_PRICE = re.compile(
    rb"(class=[\"'][^\"']*price[^\"']*[\"'][^>]*>\s*(?:<[^>]*>\s*)*(?:\{\{|</|&nbsp;<|\.\.\.|-)|"
    rb"data-bind=[\"'][^\"']*price|v-text=[\"'][^\"']*price|ng-bind=[\"'][^\"']*price|"
    rb"x-text=[\"'][^\"']*price|\{\{\s*[\w.]*price)",
    re.IGNORECASE,
)
SMALL_PAGE = 40_000


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
    """The reason when a page with no price looks like a challenge or an access refusal."""
    head = page.body[:200_000]
    match = _CHALLENGE.search(head)
    if match and len(page.body) < SMALL_PAGE * 4:
        return f"the page is a bot check ({match.group(0)[:40].decode('ascii', 'replace')})"
    match = _WIDGET.search(head)
    if match and len(page.body) < SMALL_PAGE:
        return f"the page is a bot check ({match.group(0).decode('ascii', 'replace')})"
    match = _DENIED.search(head)
    if match and len(page.body) < SMALL_PAGE:
        return f"the page refuses access ({match.group(0)[:40].decode('utf-8', 'replace')})"
    return None


def not_found_reason(page: Page) -> str | None:
    for text in (page.title, page.h1):
        if text and len(text) < 120 and _NOT_FOUND.search(text):
            return f"the page says it is not there ({text[:80]!r})"
    return None


def scripted_price(page: Page) -> bool:
    """True when the page has a price slot that only JavaScript fills."""
    return _SCRIPTED_PRICE.search(page.body) is not None
