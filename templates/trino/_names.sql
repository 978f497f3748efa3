{#- Names and pieces shared by the Trino templates. Every relation is
    named catalog.schema.relation; the catalog is the target's `catalog`
    option (default `iceberg`). -#}
{% macro catalog(target) %}{% if target.catalog is defined and target.catalog is not none %}{{ target.catalog | string }}{% else %}iceberg{% endif %}{% endmacro %}
{% macro rel(cat, schema, name) %}{{ cat | ident }}.{{ schema | ident }}.{{ name | ident }}{% endmacro %}
{% macro schema(cat, name) %}{{ cat | ident }}.{{ name | ident }}{% endmacro %}
{% macro list(cols) %}{% for c in cols %}{{ c | comment }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
{% macro column_comments(cat, r) %}
{% set q = (cat, r.schema, r.name) | ident %}
{% for c in r.columns if c.description %}
COMMENT ON COLUMN {{ q }}.{{ c.name | ident }} IS {{ c.description | literal }};
{% endfor %}
{% endmacro %}
{% macro view_head(r) %}
{% if r.description %}
COMMENT {{ r.description | literal }}
{% endif %}
SECURITY DEFINER AS
{%- endmacro %}
{#- A view: SECURITY DEFINER (Trino's default, spelt out) so a reader needs
    SELECT on the view only, never on what it reads. -#}
{% macro view(cat, r) %}
CREATE OR REPLACE VIEW {{ (cat, r.schema, r.name) | ident }}
{{ view_head(r) }}
{% for p in r.query %}{% if p.ref is defined %}{{ (cat, p.ref.whole.schema, p.ref.whole.name) | ident }}{% else %}{{ p.text }}{% endif %}{% endfor %}{{ "\n" }};
{{ column_comments(cat, r) }}
{%- endmacro %}
