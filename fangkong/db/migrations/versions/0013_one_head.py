"""One head: the branches that each domain opened from the spine join here; from now on the chain is linear
(tests/db/test_schema.py fails on a second head).

Revision ID: 0013_one_head
"""

revision = "0013_one_head"
down_revision = ("0002_testing_b", "0003_zones_assist", "0005_indexes", "0007_auth", "0009_person_phone_holder_index",
                 "0011_asof_bulletins", "0011_ident", "0012_holes_versions", "0012_oblig_chain")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
