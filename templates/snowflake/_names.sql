{#- Names and pieces shared by the Snowflake templates. `ident` upper-cases
    and double-quotes identifiers, so a quoted "ORDERS__ORDERS" is the
    relation an unquoted orders__orders in a query means; a relation is
    schema.relation, or database.schema.relation when the target sets
    `database`. -#}
{% macro prefix(target) %}{% if target.database is defined and target.database is not none %}{{ (target.database | string) | ident }}.{% endif %}{% endmacro %}
{% macro rel(pre, schema, name) %}{{ pre }}{{ schema | ident }}.{{ name | ident }}{% endmacro %}
{% macro columns(cols) %}{% for c in cols %}{{ c | ident }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
{% macro list(cols) %}{% for c in cols %}{{ c | comment }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
{#- Column comments of a view (CREATE VIEW names columns by position, so
    they are set by name afterwards). -#}
{% macro column_comments(pre, r) %}
{% set q = (r.schema, r.name) | ident %}
{% for c in r.columns if c.description %}
ALTER VIEW {{ pre }}{{ q }} ALTER COLUMN {{ c.name | ident }} COMMENT {{ c.description | literal }};
{% endfor %}
{% endmacro %}
{#- The head of a view. COPY GRANTS keeps the grants of the view it
    replaces, so re-running this file does not take access away. -#}
{% macro view_head(pre, r, secure) %}
CREATE OR REPLACE {% if secure %}SECURE {% endif %}VIEW {{ pre }}{{ (r.schema, r.name) | ident }}
COPY GRANTS
{% if r.description %}
COMMENT = {{ r.description | literal }}
{% endif %}
AS
{%- endmacro %}
{% macro view(pre, r) %}
{{ view_head(pre, r, false) }}
{% for p in r.query %}{% if p.ref is defined %}{{ pre }}{{ (p.ref.whole.schema, p.ref.whole.name) | ident }}{% else %}{{ p.text }}{% endif %}{% endfor %}{{ "\n" }};
{{ column_comments(pre, r) }}
{%- endmacro %}
