"""One SCD2 contract ("things") shared by the contract-check tests (integration and
property): every rule kind appears once."""

from lakestep.contracts import parse_contract

CONTRACT = parse_contract("""\
table: things
description: Versions of things.
scd2: true
primary_key: [thing_sk]
business_key: [thing_id]
columns:
  - {name: thing_sk, type: bigint}
  - {name: thing_id, type: bigint}
  - {name: colour, type: string, allowed_values: [red, green, blue]}
  - {name: size, type: int, min: 0, max: 10}
  - {name: price, type: 'decimal(8,2)', min: 0}
  - {name: note, type: string, nullable: true}
  - {name: effective_from, type: timestamp}
  - {name: effective_to, type: timestamp, nullable: true}
  - {name: is_current, type: boolean}
""", "things.yml")

SCHEMA = ("thing_sk bigint, thing_id bigint, colour string, size int, price decimal(8,2), "
          "note string, effective_from timestamp, effective_to timestamp, is_current boolean")
