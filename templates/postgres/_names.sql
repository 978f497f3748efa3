{#- Names shared by the PostgreSQL templates. -#}
{% macro rel(schema, name) %}{{ schema | ident }}.{{ name | ident }}{% endmacro %}
{% macro columns(cols) %}{% for c in cols %}{{ c | ident }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
{% macro view(r) %}
CREATE OR REPLACE VIEW {{ (r.schema, r.name) | ident }} AS
{% for p in r.query %}{% if p.ref is defined %}{{ (p.ref.schema, p.ref.name) | ident }}{% else %}{{ p.text }}{% endif %}{% endfor %}{{ "\n" }};
{% endmacro %}
{% macro comments(r, what) %}
{% if r.description %}
COMMENT ON {{ what }} {{ (r.schema, r.name) | ident }} IS {{ r.description | literal }};
{% endif %}
{% for c in r.columns if c.description %}
COMMENT ON COLUMN {{ (r.schema, r.name) | ident }}.{{ c.name | ident }} IS {{ c.description | literal }};
{% endfor %}
{% endmacro %}
