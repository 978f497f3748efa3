#!/usr/bin/env python3
"""Parses meshc's generated SQL with sqlglot in an engine's dialect.

    python3 tests/sqlglot_parse.py DIALECT FILE...

Each file is handed whole to `sqlglot.parse` (sqlglot splits the
statements) with errors raised. A file fails when sqlglot raises, and also
when a statement only "parsed" through sqlglot's fallback for syntax it
does not support (`exp.Command`, which keeps the text unparsed) -- unless
the statement is on the short allow-list below of syntax that sqlglot
cannot model at all. Allowed fallbacks are counted apart, never as parsed.

Prints one line per file: the number of statements and how many of each
kind. Exits 1 on any failure, 2 when sqlglot is missing or the arguments
are wrong.
"""

import logging
import re
import sys
from collections import Counter

try:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ErrorLevel, SqlglotError
except ImportError:
    print(
        "sqlglot_parse.py: the Python package sqlglot is not installed; "
        "install it with `python3 -m pip install 'sqlglot>=30,<31'`",
        file=sys.stderr,
    )
    sys.exit(2)

# sqlglot logs a warning for every fallback; this script reports them itself.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# Statements sqlglot 30 parses only as an unparsed `exp.Command`, allowed
# per dialect because sqlglot has no expression for them. Each entry is a
# pattern the whole statement must match, plus a check of the parts sqlglot
# can parse, so nothing else slips through with them.
ROLE = r'"(?:[^"]|"")+"'
BACKTICKED = r'`(?:[^`]|``)+`'
# A qualified name of quoted parts.
QUALIFIED = r'(?:"(?:[^"]|"")+"\.){1,2}"(?:[^"]|"")+"'
QUALIFIED_BT = r'(?:`(?:[^`]|``)+`\.){1,2}`(?:[^`]|``)+`'

ALLOWED = {
    # sqlglot has no expression for CREATE ROLE in any dialect.
    "trino": [
        ("CREATE ROLE", re.compile(r"CREATE ROLE " + ROLE + r" IN " + ROLE + r"\Z")),
        # Hands a product's view to its role, so the view (SECURITY DEFINER)
        # reads with that role's grants; sqlglot has no expression for it.
        (
            "ALTER VIEW SET AUTHORIZATION",
            re.compile(r"ALTER VIEW " + QUALIFIED + r" SET AUTHORIZATION ROLE " + ROLE + r"\Z"),
        ),
    ],
    "snowflake": [
        ("CREATE ROLE", re.compile(r"CREATE ROLE IF NOT EXISTS " + ROLE + r"\Z")),
        # sqlglot parses GRANT OWNERSHIP but not its COPY CURRENT GRANTS
        # clause (which keeps the object's other grants when its owner
        # changes); the statement without the clause must parse as a Grant.
        (
            "GRANT OWNERSHIP COPY CURRENT GRANTS",
            re.compile(r"GRANT OWNERSHIP ON (?:TABLE|VIEW) .+ TO ROLE " + ROLE + r" COPY CURRENT GRANTS\Z"),
        ),
    ],
    "spark": [
        # Databricks' ALTER VIEW ... OWNER TO, for the same reason.
        (
            "ALTER VIEW OWNER TO",
            re.compile(r"ALTER VIEW " + QUALIFIED_BT + r" OWNER TO " + BACKTICKED + r"\Z"),
        ),
    ],
}


def allowed(dialect, sql):
    """The allow-list entry a fallback statement matches, or None."""
    text = sql.strip().rstrip(";").strip()
    for name, pattern in ALLOWED.get(dialect, []):
        if not pattern.match(text):
            continue
        if name.startswith("GRANT OWNERSHIP"):
            rest = text[: -len(" COPY CURRENT GRANTS")]
            try:
                parsed = sqlglot.parse(rest, read=dialect, error_level=ErrorLevel.RAISE)
            except SqlglotError:
                return None
            if len(parsed) != 1 or not isinstance(parsed[0], exp.Grant):
                return None
        return name
    return None


def kind(e):
    """A statement's kind for the counts, e.g. `CREATE TABLE`, `GRANT`."""
    if isinstance(e, exp.Create):
        return "CREATE " + str(e.args.get("kind") or "?").upper()
    if isinstance(e, exp.Comment):
        return "COMMENT ON " + str(e.args.get("kind") or "?").upper()
    if isinstance(e, exp.Alter):
        return "ALTER " + str(e.args.get("kind") or "?").upper()
    return type(e).__name__.upper()


def check(dialect, path):
    """Parses one file; returns (statement count, kind counts, errors)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        statements = sqlglot.parse(text, read=dialect, error_level=ErrorLevel.RAISE)
    except SqlglotError as e:
        return 0, Counter(), [f"does not parse: {e}"]
    counts = Counter()
    errors = []
    for e in statements:
        if e is None or isinstance(e, exp.Semicolon):
            # Nothing but `--` comments after the last statement.
            continue
        if isinstance(e, exp.Command):
            # The statement as written, without the comments before it.
            sql = str(e.this) + str(e.args.get("expression") or "")
            name = allowed(dialect, sql)
            if name is None:
                errors.append(f"sqlglot fell back to an unparsed Command: {sql[:300]}")
            else:
                counts[f"{name} (allow-listed fallback)"] += 1
            continue
        counts[kind(e)] += 1
    return sum(counts.values()), counts, errors


def main(argv):
    if len(argv) < 3:
        print("usage: sqlglot_parse.py DIALECT FILE...", file=sys.stderr)
        return 2
    dialect, paths = argv[1], argv[2:]
    if dialect not in ALLOWED:
        print(f"sqlglot_parse.py: unknown dialect {dialect!r}", file=sys.stderr)
        return 2
    failed = False
    for path in paths:
        n, counts, errors = check(dialect, path)
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(f"{path}: {n} statements ({dialect}, sqlglot {sqlglot.__version__}): {detail}")
        for err in errors:
            failed = True
            print(f"{path}: FAIL: {err}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
