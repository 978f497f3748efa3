# Domain policy of the finance domain (listed in domains/finance/domain.yaml
# under spec.governance.policies), so it applies to finance products only.
#
# Finance keeps personal data only as long as the law requires: every output
# port that holds a pii column must declare sla.retention. (The global rule
# G308 only warns about this; finance makes it a hard policy.)
package meshc.policies.finance_retention

import rego.v1

deny contains d if {
	some i, port in input.spec.outputs
	pii := [c.name | some c in object.get(port, "columns", []); c.classification == "pii"]
	count(pii) > 0
	not port.sla.retention
	d := {
		"code": "P101",
		"msg": sprintf("port %s of finance product %s holds pii columns (%s) but declares no sla.retention", [port.name, input.metadata.name, concat(", ", pii)]),
		"path": sprintf("spec.outputs[%d]", [i]),
	}
}
