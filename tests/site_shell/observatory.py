"""A small scorer following the MDN HTTP Observatory's published rules (mdn/mdn-http-observatory: src/grader/charts.js
for the modifiers, src/analyzer/tests/*.js for how each result is chosen, src/scanner/index.js for the sum).

Every site starts at 100. Each test adds its modifier; bonuses count only when the score without them is 90 or
more. 100 and above is an A+. What cannot be judged from one response (the HSTS preload list, a crossdomain.xml)
is taken at its neutral result.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
DANGEROUSLY_BROAD = {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
UNSAFE_INLINE = {"'unsafe-inline'", "data:"}
NONCES_AND_HASHES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
SIX_MONTHS = 15768000
PRIVATE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
UNSAFE_REFERRER_POLICIES = {"origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"}
OBSERVATORY_ORIGIN = "https://http-observatory.security.mozilla.org"


@dataclass
class Scan:
    score: int
    results: dict = field(default_factory=dict)  # test name: (result, modifier)

    @property
    def grade(self):
        return "A+" if self.score >= 100 else "below A+"

    def __str__(self):
        lines = [f"score {self.score} ({self.grade})"]
        lines += [f"  {modifier:+d} {name}: {result}" for name, (result, modifier) in self.results.items()]
        return "\n".join(lines)


def score(response, *, http_response, cors_response):
    """Scores a page: `response` fetched over HTTPS, `http_response` the same address asked over plain HTTP,
    `cors_response` asked again with the Observatory's Origin header."""
    hsts = strict_transport_security(response)
    results = {
        "content-security-policy": content_security_policy(response),
        "cookies": cookies(response, hsts_passes=hsts[1] >= 0),
        "cross-origin-resource-sharing": cross_origin_resource_sharing(cors_response),
        "redirection": redirection(http_response),
        "referrer-policy": referrer_policy(response),
        "strict-transport-security": hsts,
        "subresource-integrity": subresource_integrity(response),
        "x-content-type-options": x_content_type_options(response),
        "x-frame-options": x_frame_options(response),
        "cross-origin-resource-policy": cross_origin_resource_policy(response),
    }
    modifiers = [modifier for _result, modifier in results.values()]
    uncurved = 100 + sum(modifier for modifier in modifiers if modifier < 0)
    total = 100 + sum(modifiers) if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved
    return Scan(max(total, 0), results)


def parse_csp(headers):
    policy = {}
    for header in headers:
        for single_policy in header.split(","):
            for directive in single_policy.split(";"):
                words = directive.strip().lower().split()
                if words and words[0] not in policy:  # the first of a repeated directive counts
                    policy[words[0]] = set(words[1:]) or {"'none'"}
    return policy


def content_security_policy(response):
    headers = [response[name] for name in ["Content-Security-Policy"] if response.has_header(name)]
    if not headers:
        return "csp-not-implemented", -25
    csp = parse_csp(headers)
    default_src = csp.get("default-src")
    script_src = set(csp.get("script-src") or default_src or {"*"})
    style_src = set(csp.get("style-src") or default_src or {"*"})
    object_src = csp.get("object-src") or default_src or {"*"}
    for sources in (script_src, style_src):
        if any(source.startswith(NONCES_AND_HASHES) for source in sources):
            sources.discard("'unsafe-inline'")
    if "'strict-dynamic'" in script_src and not any(source.startswith(NONCES_AND_HASHES) for source in script_src):
        return "csp-header-invalid", -25
    active = [source for name, sources in csp.items() if name not in {"img-src", "media-src"} for source in sources]
    passive = [source for name in ("img-src", "media-src") for source in (csp.get(name) or default_src or set())]
    if script_src & (DANGEROUSLY_BROAD | UNSAFE_INLINE) or object_src & DANGEROUSLY_BROAD:
        return "csp-implemented-with-unsafe-inline", -20
    if any(source.startswith(("http:", "ftp:")) for source in active):
        return "csp-implemented-with-insecure-scheme", -20
    if "'unsafe-eval'" in script_src | style_src:
        return "csp-implemented-with-unsafe-eval", -10
    if any(source.startswith(("http:", "ftp:")) for source in passive):
        return "csp-implemented-with-insecure-scheme-in-passive-content-only", -10
    if style_src & (DANGEROUSLY_BROAD | UNSAFE_INLINE):
        return "csp-implemented-with-unsafe-inline-in-style-src-only", 0
    if default_src == {"'none'"}:
        return "csp-implemented-with-no-unsafe-default-src-none", 10
    return "csp-implemented-with-no-unsafe", 5


# From worst to best, as the Observatory's cookie test keeps only the worst it finds.
COOKIE_RESULTS = [
    ("cookies-session-without-secure-flag", -40),
    ("cookies-session-without-httponly-flag", -30),
    ("cookies-anticsrf-without-samesite-flag", -20),
    ("cookies-samesite-flag-invalid", -20),
    ("cookies-session-without-secure-flag-but-protected-by-hsts", -10),
    ("cookies-without-secure-flag", -20),
    ("cookies-without-secure-flag-but-protected-by-hsts", -5),
]


def cookies(response, *, hsts_passes):
    jar = SimpleCookie()
    for morsel in response.cookies.values():
        jar[morsel.key] = morsel
    if not jar:
        return "cookies-not-found", 0
    found = set()
    missing_samesite = False
    for name, morsel in jar.items():
        secure, http_only, same_site = bool(morsel["secure"]), bool(morsel["httponly"]), morsel["samesite"]
        session = "login" in name.lower() or "sess" in name.lower()
        if same_site and same_site.lower() not in {"lax", "strict", "none"}:
            found.add("cookies-samesite-flag-invalid")
        if not secure and same_site.lower() == "none":
            found.add("cookies-samesite-flag-invalid")
        if not secure:
            found.add(
                "cookies-without-secure-flag-but-protected-by-hsts" if hsts_passes else "cookies-without-secure-flag"
            )
        if "csrf" in name.lower() and not same_site:
            found.add("cookies-anticsrf-without-samesite-flag")
        if session and not secure:
            found.add(
                "cookies-session-without-secure-flag-but-protected-by-hsts"
                if hsts_passes
                else "cookies-session-without-secure-flag"
            )
        if session and not http_only:
            found.add("cookies-session-without-httponly-flag")
        missing_samesite = missing_samesite or not same_site
    for result, modifier in COOKIE_RESULTS:
        if result in found:
            return result, modifier
    if missing_samesite:
        return "cookies-secure-with-httponly-sessions", 0
    return "cookies-secure-with-httponly-sessions-and-samesite", 5


def cross_origin_resource_sharing(response):
    allowed = response.get("Access-Control-Allow-Origin", "").strip().lower()
    if not allowed:
        return "cross-origin-resource-sharing-not-implemented", 0
    if allowed == "*":
        return "cross-origin-resource-sharing-implemented-with-public-access", 0
    credentials = response.get("Access-Control-Allow-Credentials", "").strip().lower() == "true"
    if allowed == OBSERVATORY_ORIGIN and credentials:
        return "cross-origin-resource-sharing-implemented-with-universal-access", -50
    return "cross-origin-resource-sharing-implemented-with-restricted-access", 0


def redirection(http_response):
    """The first answer to the plain-HTTP address: it must send the visitor to HTTPS on the same host."""
    request = http_response.wsgi_request
    if http_response.status_code not in (301, 302, 307, 308):
        return "redirection-missing", -20
    target = urlsplit(http_response["Location"])
    if target.scheme != "https":
        return "redirection-not-to-https-on-initial-redirection", -10
    if target.hostname != request.get_host().split(":")[0]:
        return "redirection-off-host-from-http", -5
    return "redirection-to-https", 0


def referrer_policy(response):
    if not response.has_header("Referrer-Policy"):
        return "referrer-policy-not-implemented", 0
    # Several comma-separated values: the last one a browser knows applies.
    policies = [value.strip().lower() for value in response["Referrer-Policy"].split(",")]
    known = [policy for policy in policies if policy in PRIVATE_REFERRER_POLICIES | UNSAFE_REFERRER_POLICIES]
    if not known:
        return "referrer-policy-header-invalid", -5
    if known[-1] in PRIVATE_REFERRER_POLICIES:
        return "referrer-policy-private", 5
    return "referrer-policy-unsafe", -5


def strict_transport_security(response):
    header = response.get("Strict-Transport-Security", "")
    if not header:
        return "hsts-not-implemented", -20
    match = re.search(r"max-age\s*=\s*\"?(\d+)", header, re.IGNORECASE)
    if not match:
        return "hsts-header-invalid", -20
    if int(match.group(1)) >= SIX_MONTHS:
        return "hsts-implemented-max-age-at-least-six-months", 0  # preloading is granted by the list, not a header
    return "hsts-implemented-max-age-less-than-six-months", -10


class ScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def subresource_integrity(response):
    if "html" not in response.get("Content-Type", ""):
        return "sri-not-implemented-response-not-html", 0
    finder = ScriptFinder()
    finder.feed(response.content.decode())
    scripts = [script for script in finder.scripts if script.get("src")]
    if not scripts:
        return "sri-not-implemented-but-no-scripts-loaded", 0
    host = response.wsgi_request.get_host().split(":")[0]
    insecure = secure_external = False
    all_have_integrity = True
    for script in scripts:
        source = urlsplit(script["src"])
        same_origin = not source.netloc or (source.hostname == host and source.scheme in ("", "https"))
        if not same_origin:
            if source.scheme == "https":
                secure_external = True
            else:
                insecure = True  # http: or protocol-relative
        all_have_integrity = all_have_integrity and bool(script.get("integrity"))
    if insecure:
        return (
            ("sri-implemented-but-external-scripts-not-loaded-securely", -20)
            if all_have_integrity
            else ("sri-not-implemented-and-external-scripts-not-loaded-securely", -50)
        )
    if all_have_integrity:
        return "sri-implemented-and-all-scripts-loaded-securely", 5
    if secure_external:
        return "sri-not-implemented-but-external-scripts-loaded-securely", -5
    return "sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0


def x_content_type_options(response):
    value = response.get("X-Content-Type-Options", "")
    if not value:
        return "x-content-type-options-not-implemented", -5
    if value.strip().lower() == "nosniff":
        return "x-content-type-options-nosniff", 0
    return "x-content-type-options-header-invalid", -5


def x_frame_options(response):
    csp = parse_csp([response["Content-Security-Policy"]]) if response.has_header("Content-Security-Policy") else {}
    ancestors = csp.get("frame-ancestors")
    if ancestors and not ancestors & DANGEROUSLY_BROAD:
        return "x-frame-options-implemented-via-csp", 5
    value = response.get("X-Frame-Options", "").strip().lower()
    if not value:
        return "x-frame-options-not-implemented", -20
    if value in {"deny", "sameorigin"}:
        return "x-frame-options-sameorigin-or-deny", 0
    if value.startswith("allow-from "):
        return "x-frame-options-allow-from-origin", 0
    return "x-frame-options-header-invalid", -20


def cross_origin_resource_policy(response):
    value = response.get("Cross-Origin-Resource-Policy", "")[:256].strip().lower()
    return {
        "": ("cross-origin-resource-policy-not-implemented", 0),
        "same-origin": ("cross-origin-resource-policy-implemented-with-same-origin", 10),
        "same-site": ("cross-origin-resource-policy-implemented-with-same-site", 10),
        "cross-origin": ("cross-origin-resource-policy-implemented-with-cross-origin", 0),
    }.get(value, ("cross-origin-resource-policy-header-invalid", -5))
