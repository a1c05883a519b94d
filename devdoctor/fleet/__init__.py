"""devdoctor across many machines: per-node reports merged into one verdict per problem, run
through the engines clusters already have (Slurm, Ansible, clush/pdsh)."""
