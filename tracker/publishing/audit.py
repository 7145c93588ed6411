"""The compliance check's view of the catalog: where its links lead (for `render --check`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from tracker.compliance import Context, Outbound, check_page, line_mapper
from tracker.config import Settings
from tracker.store.models import Listing, Vendor
from tracker.store.repo import outbound_link
from tracker.urls import host_key, template_host


def compliance_context(settings: Settings, session: Session) -> Context:
    """Every vendor's hosts and every listing's link as a box renders it."""
    hosts: set[str] = set()
    listings: dict[str, Outbound] = {}
    public = settings.site.public_url
    for vendor in session.scalars(select(Vendor)):
        for host in (host_key(vendor.homepage), template_host(vendor.affiliate_template)):
            if host:
                hosts.add(host)
    query = select(Listing).options(joinedload(Listing.vendor))
    for listing in session.scalars(query):
        link = outbound_link(listing)
        if host := host_key(link):
            hosts.add(host)
        outbound = Outbound(link, amazon_api=listing.vendor.profile.amazon is not None)
        listings[link] = outbound
        if public:
            listings[f"{public}/go/{listing.id}"] = outbound
    own = host_key(public) if public else None
    hosts.discard(own or "")
    prefixes = ("/go/",) + ((f"{public}/go/",) if public else ())
    return Context(
        affiliate_hosts=frozenset(hosts),
        listings=listings,
        go_prefixes=prefixes,
        disclosures=(settings.site.disclosure,),
    )


def article_findings(source: str, path: str, rendered: str, context: Context) -> list[str]:
    """``PATH:LINE: message`` for each finding, LINE in the article as written."""
    markdown = path.lower().endswith((".md", ".markdown"))
    findings = check_page(rendered, context, markdown=markdown)
    if not findings:
        return []
    to_source = line_mapper(source, rendered)
    out = []
    for finding in findings:
        message = finding.message
        if finding.disclosure_line:
            message += f" (the disclosure is on line {to_source(finding.disclosure_line)})"
        out.append(f"{path}:{to_source(finding.line)}: {message}")
    return out
