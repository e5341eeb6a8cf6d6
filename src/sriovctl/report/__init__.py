"""The fleet view: many hosts' inventories and check results merged (`fleet`), read from
files or Ansible output (`inputs`), shown as a table by the CLI or as one static HTML page
with an inline SVG chart of VFs per physnet and NUMA node (`html`, `chart`)."""
