"""``jirasync demo``: the whole product on one machine, with nothing but Python."""
