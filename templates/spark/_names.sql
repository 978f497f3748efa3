{#- Names and pieces shared by the Spark SQL templates. Identifiers are
    quoted with backticks; a relation is schema.relation, or
    catalog.schema.relation when the target sets `catalog`. -#}
{% macro prefix(target) %}{% if target.catalog is defined and target.catalog is not none %}{{ (target.catalog | string) | ident }}.{% endif %}{% endmacro %}
{% macro rel(pre, schema, name) %}{{ pre }}{{ schema | ident }}.{{ name | ident }}{% endmacro %}
{% macro list(cols) %}{% for c in cols %}{{ c | comment }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
{#- A view's column list, which carries the column comments. -#}
{% macro view_columns(r) %}
(
{% for c in r.columns %}
    {{ c.name | ident }}{% if c.description %} COMMENT {{ c.description | literal }}{% endif %}{% if not loop.last %},{% endif %}

{% endfor %}
)
{%- endmacro %}
{#- A view of a query from the mesh. Spark names a view's columns by
    position, so the query is read by column name in a subquery: a
    declared column the query does not return is an error, never another
    column under its name. -#}
{% macro view(pre, r) %}
CREATE OR REPLACE VIEW {{ pre }}{{ (r.schema, r.name) | ident }}
{% if r.columns %}
{{ view_columns(r) }}
{% endif %}
{% if r.description %}
COMMENT {{ r.description | literal }}
{% endif %}
AS
{% if r.columns %}
SELECT {% for c in r.columns %}{{ c.name | ident }}{% if not loop.last %}, {% endif %}{% endfor %} FROM (
{% endif %}
{% for p in r.query %}{% if p.ref is defined %}{{ pre }}{{ (p.ref.whole.schema, p.ref.whole.name) | ident }}{% else %}{{ p.text }}{% endif %}{% endfor %}
{% if r.columns %}

) AS `meshc_query`{% endif %};
{%- endmacro %}
