{#- Names shared by the PostgreSQL templates. -#}
{% macro rel(schema, name) %}{{ schema | ident }}.{{ name | ident }}{% endmacro %}
{% macro columns(cols) %}{% for c in cols %}{{ c | ident }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
{% macro view(r) %}
CREATE OR REPLACE VIEW {{ rel(r.schema, r.name) }} AS
{% for p in r.query %}{% if p.ref is defined %}{{ rel(p.ref.schema, p.ref.name) }}{% else %}{{ p.text }}{% endif %}{% endfor %};
{% endmacro %}
{% macro comments(r, what) %}
{% if r.description %}
COMMENT ON {{ what }} {{ rel(r.schema, r.name) }} IS {{ r.description | literal }};
{% endif %}
{% for c in r.columns if c.description %}
COMMENT ON COLUMN {{ rel(r.schema, r.name) }}.{{ c.name | ident }} IS {{ c.description | literal }};
{% endfor %}
{% endmacro %}
