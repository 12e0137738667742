"""Search queries shared by the search tests."""

# What a visitor may type or send: each must get a page of results (or none), never an error.
HOSTILE_QUERIES = [
    "",
    " ",
    "a" * 1000,
    "' OR 1=1 --",
    "%",
    "_",
    "\\",
    ".*",
    "(",
    "&|!:*<->",
    "\x00",
    "审核\x00",
    "\x00审\x00核",
    "😀🧸",
    "审核截止日期" * 200,
    " ".join("abcdefghijklmnopqrstuvwxyz" * 4),
    "<script>alert(1)</script>",
    "\u202eaudit\u200b",
    "audit:* | !'x' & (",
    # Only punctuation, in either script; quotes and backslashes that SQL or a tsquery would read.
    "…—，。！？「」",
    "''",
    '"audit"',
    "\\\\审核\\",
    "audit\\' OR '1'='1",
    "&|!():*<>-",
    "审核 & | ! ( ) : * 截止",
    "%s %(q)s {query} $1",
    # Scripts mixed, with and without spaces; a Chinese run long enough to be shortened.
    "audit审核ESCP",
    "Ω審核 аудит ＡＵＤＩＴ",
    "审" * 150 + " audit" * 20,
]
