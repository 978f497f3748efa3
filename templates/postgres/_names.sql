{#- Names shared by the PostgreSQL templates. -#}
{% macro rel(schema, name) %}{{ schema | ident }}.{{ name | ident }}{% endmacro %}
{% macro columns(cols) %}{% for c in cols %}{{ c | ident }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
{% macro view(r) %}
CREATE OR REPLACE VIEW {{ (r.schema, r.name) | ident }} AS
{% for p in r.query %}{% if p.ref is defined %}{{ (p.ref.schema, p.ref.name) | ident }}{% else %}{{ p.text }}{% endif %}{% endfor %}{{ "\n" }};
{% endmacro %}
{% macro comments(r, what) %}
{% set q = (r.schema, r.name) | ident %}
{% if r.description %}
COMMENT ON {{ what }} {{ q }} IS {{ r.description | literal }};
{% endif %}
{% for c in r.columns if c.description %}
COMMENT ON COLUMN {{ q }}.{{ c.name | ident }} IS {{ c.description | literal }};
{% endfor %}
{% endmacro %}
