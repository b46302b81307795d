"""dpkit.accounting.OpacusAccountant inside a real Opacus training run.

Trains a small logistic-regression model with Opacus (Poisson sampling, DP-SGD) using dpkit's
accountant, then checks its epsilon against `dpkit privacy dpsgd` for the same schedule and
charges the run to a dpkit ledger. Needs torch and opacus (installed by `make test-python`).
"""

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install -r python/requirements-test.txt")
opacus = pytest.importorskip("opacus", reason="opacus is not installed: pip install -r python/requirements-test.txt")

import dpkit  # noqa: E402
from dpkit.accounting import OpacusAccountant  # noqa: E402

from conftest import cli_json  # noqa: E402

pytestmark = [
    pytest.mark.opacus,
    # Opacus's own notice: its noise comes from torch's RNG unless secure_mode (torchcsprng).
    pytest.mark.filterwarnings("ignore:Secure RNG turned off"),
    pytest.mark.filterwarnings("ignore:Full backward hook"),
]

EXAMPLES, BATCH, EPOCHS, NOISE, DELTA = 2000, 100, 3, 1.1, 1e-5


def train(engine):
    """A few epochs of DP-SGD on a separable synthetic task; returns the final accuracy."""
    torch.manual_seed(0)
    x = torch.randn(EXAMPLES, 8)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH)
    model = torch.nn.Linear(8, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    model, optimizer, data = engine.make_private(
        module=model, optimizer=optimizer, data_loader=data, noise_multiplier=NOISE,
        max_grad_norm=1.0)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(EPOCHS):
        for xb, yb in data:
            optimizer.zero_grad()
            if len(yb):
                loss_fn(model(xb), yb).backward()
            optimizer.step()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


@pytest.fixture(scope="module")
def trained():
    engine = opacus.PrivacyEngine(accountant="rdp")
    engine.accountant = OpacusAccountant()
    accuracy = train(engine)
    return engine, engine.accountant, accuracy


def test_opacus_trains_with_the_dpkit_accountant(trained):
    engine, accountant, accuracy = trained
    assert accuracy > 0.8
    sample_rate = BATCH / EXAMPLES
    assert accountant.history == [(NOISE, sample_rate, EPOCHS * EXAMPLES // BATCH)]
    assert len(accountant) == EPOCHS * EXAMPLES // BATCH
    assert engine.get_epsilon(DELTA) == accountant.get_epsilon(DELTA)


def test_epsilon_matches_the_cli_for_the_same_schedule(trained, cli):
    _, accountant, _ = trained
    steps = len(accountant)
    args = ["privacy", "dpsgd", "--sampling-rate", repr(BATCH / EXAMPLES), "--steps", str(steps),
            "--noise-multiplier", repr(NOISE), "--delta", repr(DELTA)]
    pld = cli_json(cli, *args, "--accountant", "pld")["epsilon"]
    rdp = cli_json(cli, *args, "--accountant", "rdp")["epsilon"]
    # dpkit's PLD accountant answers the smaller of its PLD upper bound and the RDP bound.
    assert accountant.get_epsilon(DELTA) == pytest.approx(min(pld, rdp), rel=1e-12)
    # Opacus's own RDP accountant on the same schedule is never tighter than dpkit's bound.
    theirs = opacus.accountants.RDPAccountant()
    theirs.history = list(accountant.history)
    assert accountant.get_epsilon(DELTA) <= theirs.get_epsilon(DELTA) * (1 + 1e-9)


def test_the_run_is_charged_to_a_ledger(trained, tmp_path):
    _, accountant, _ = trained
    eps = accountant.get_epsilon(DELTA)
    ledger = dpkit.Ledger(tmp_path / "ledger.db")
    ledger.init("train", epsilon=10, delta=DELTA, accountant="pld")
    fresh = OpacusAccountant()
    fresh.load_state_dict(accountant.state_dict())
    receipt = fresh.charge(ledger, "train")
    assert receipt.spent.epsilon == pytest.approx(eps, rel=1e-9)
    history = ledger.history("train")
    assert list(history["operation"]) == ["opacus DP-SGD training"]
    with pytest.raises(dpkit.InvalidArgument, match="no uncharged steps"):
        fresh.charge(ledger, "train")
    small = dpkit.Ledger(tmp_path / "small.db")
    small.init("train", epsilon=eps / 2, delta=DELTA)
    uncharged = OpacusAccountant()
    uncharged.load_state_dict({"history": accountant.history, "mechanism": "dpkit"})
    with pytest.raises(dpkit.BudgetExhausted):
        uncharged.charge(small, "train")
    assert small.status("train").num_charges == 0


def test_registered_accountant_calibrates_noise_for_a_target_epsilon():
    OpacusAccountant.register()
    engine = opacus.PrivacyEngine(accountant="dpkit")
    assert isinstance(engine.accountant, OpacusAccountant)
    torch.manual_seed(1)
    data = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.randn(500, 4), torch.zeros(500, dtype=torch.long)),
        batch_size=50)
    model = torch.nn.Linear(4, 2)
    _, optimizer, _ = engine.make_private_with_epsilon(
        module=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), data_loader=data,
        target_epsilon=2.0, target_delta=DELTA, epochs=2, max_grad_norm=1.0)
    q, steps = 50 / 500, 2 * 10
    m = dpkit.PrivacyMap.subsampled_gaussian(optimizer.noise_multiplier, q, steps)
    assert dpkit.accounting.composed_epsilon([m], DELTA) <= 2.0
