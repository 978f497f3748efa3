# Domain policy of the finance domain (listed in domains/finance/domain.yaml
# under spec.governance.policies), so it applies to finance products only.
#
# Finance keeps personal data only as long as the law requires: every output
# port that holds a pii column (or one more sensitive than pii) must declare
# sla.retention. (The global rule G308 only warns about this; finance makes
# it a hard policy.) A column's effectiveClassification includes what it
# inherits through its lineage, unless masking stopped the flow; the order
# of sensitivity is the Mesh's `classifications` list, in data.mesh.
package meshc.policies.finance_retention

import rego.v1

# pii and every classification after it in the Mesh's list.
pii_rank := i if data.mesh.classifications[i] == "pii"

at_least_pii contains class if {
	some i, class in data.mesh.classifications
	i >= pii_rank
}

deny contains d if {
	some i, port in input.spec.outputs
	not port.sla.retention # the cheap test first: ports with a retention stop here
	pii := [c.name | some c in port.columns; c.effectiveClassification in at_least_pii]
	count(pii) > 0
	d := {
		"code": "P101",
		"msg": sprintf("port %s holds pii columns (%s) but declares no sla.retention", [port.fqn, concat(", ", pii)]),
		"path": sprintf("spec.outputs[%d].sla.retention", [i]),
	}
}
