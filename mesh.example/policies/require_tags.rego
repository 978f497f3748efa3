# Global policy (listed in mesh.yaml under spec.governance.policies):
# every active data product must carry at least one tag, so the catalogue
# can be browsed by topic.
#
# `input` is one resolved data product, shaped like its YAML document
# (input.metadata.name, input.spec.status, input.spec.outputs[...], ...).
package meshc.policies.require_tags

import rego.v1

deny contains d if {
	input.spec.status == "active"
	count(object.get(input.metadata, "tags", [])) == 0
	d := {
		"code": "P001",
		"msg": sprintf("active data product %s.%s has no tags; add at least one to metadata.tags", [input.metadata.domain, input.metadata.name]),
		"path": "metadata",
	}
}
