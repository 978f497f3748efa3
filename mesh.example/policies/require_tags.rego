# Global policy (listed in mesh.yaml under spec.governance.policies):
# every active data product must carry at least one tag, so the catalogue
# can be browsed by topic.
#
# `input` is one resolved data product, shaped like its YAML document with
# the defaults filled in (input.metadata.tags is always a list,
# input.spec.status is always set); see the book's "Rego policies" page.
package meshc.policies.require_tags

import rego.v1

deny contains d if {
	input.spec.status == "active"
	count(input.metadata.tags) == 0
	d := {
		"code": "P001",
		"msg": sprintf("active data product %s has no tags; add at least one to metadata.tags", [input.fqn]),
		"path": "metadata.tags",
	}
}
