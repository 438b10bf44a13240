from tests.integration.test_acd import double_assignments


def test_audit_replay_catches_a_double_assignment():
    ok = ["claim 8001 a 1", "release 8001 a 2", "claim 8001 b 3"]
    assert double_assignments(ok) == []
    assert double_assignments(["claim 8001 a 1", "claim 8001 b 2"])
    assert double_assignments(["claim 8001 a 1", "claim 8002 a 2"])
