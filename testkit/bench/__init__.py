"""`hotline bench ...`: the ACD against app_queue (`acd`), the case store (`store`),
speech recognition and tagging (`speech`). Each prints JSON; see testkit.commands."""
