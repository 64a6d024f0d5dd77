"""Chapter 03 exercises: the Bellman target, the value of the start with another discount, epsilon-greedy."""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable
from helpers.i18n import tr

LAYOUT = ["S...T", ".##..", ".#G#.", ".T.#.", "....."]
MOVES = [(-1, 0), (0, 1), (1, 0), (0, -1)]
REWARD_GOAL, REWARD_TRAP, REWARD_STEP = 1.0, -1.0, -0.01


# --- q1: the Bellman target --------------------------------------------------------------------------


def solve_bellman_target() -> Any:
    def bellman_target(reward: float, next_q_row: np.ndarray, done: bool, gamma: float) -> float:
        """r + gamma * max_a' Q(s', a'), or just r when the move ended the episode."""
        if done:
            return reward
        return reward + gamma * float(np.max(next_q_row))

    return bellman_target


def check_bellman_target(answer: Any) -> str:
    expect_callable(answer, "bellman_target")
    row = np.array([0.2, 0.9, -0.4, 0.1])
    cases = [((-0.01, row, False, 0.95), -0.01 + 0.95 * 0.9, tr("an ordinary move")),
             ((1.0, np.zeros(4), True, 0.95), 1.0, tr("the move into the goal")),
             ((-1.0, row, True, 0.95), -1.0, tr("a move into a trap (the episode ends: no future)")),
             ((-0.01, np.array([-0.5, -0.3, -0.7, -0.9]), False, 0.5), -0.01 + 0.5 * -0.3,
              tr("a move with negative Q")),
             ((0.0, row, False, 0.0), 0.0, tr("gamma = 0: only the reward counts"))]
    for args, expected, what in cases:
        got = as_number(answer(*args), "bellman_target(...)")
        if abs(got - expected) > 1e-9:
            reward, next_row, done, gamma = args
            if done and abs(got - (reward + gamma * next_row.max())) < 1e-9:
                hint = tr("when the move ends the episode there is no next state to look at: the target is "
                          "r")
            elif abs(got - (reward + gamma * next_row.mean())) < 1e-9:
                hint = tr("use the best action's value, max over Q(s', ·), not the mean")
            elif abs(got - (reward + next_row.max())) < 1e-9:
                hint = tr("multiply the future value by the discount gamma")
            else:
                hint = tr("target = reward if done else reward + gamma * max(next_q_row)")
            raise Wrong(tr("for {what} (reward {reward}, Q(s') = {next_row_tolist}, done={done}, "
                           "gamma={gamma}) you returned {got:.4g}, expected {expected:.4g}: {hint}",
                           what=what, reward=reward, next_row_tolist=next_row.tolist(), done=done,
                           gamma=gamma, got=got, expected=expected, hint=hint))
    return tr("the +1 of the goal flows back one move per update, discounted by gamma each time.")


q1 = Exercise(
    chapter="03", name="q1", title="The Bellman target",
    checker=check_bellman_target, solver=solve_bellman_target,
    hints=["Two cases: the move ended the episode (goal or trap), or it did not.",
           "return reward if done else reward + gamma * next_q_row.max()"],
    wrong_answers=[lambda: lambda reward, row, done, gamma: reward + gamma * row.max(),   # ignores done
                   lambda: lambda reward, row, done, gamma: reward if done else reward + gamma * row.mean(),
                   lambda: lambda reward, row, done, gamma: reward if done else reward + row.max()],
)


# --- q2: V*(S) with gamma = 0.9 ----------------------------------------------------------------------


def _value_iteration(gamma: float) -> float:
    rows, cols = len(LAYOUT), len(LAYOUT[0])

    def step(state: int, action: int) -> tuple[int, float, bool]:
        r, c = divmod(state, cols)
        nr, nc = r + MOVES[action][0], c + MOVES[action][1]
        if not (0 <= nr < rows and 0 <= nc < cols) or LAYOUT[nr][nc] == "#":
            nr, nc = r, c
        ch = LAYOUT[nr][nc]
        reward = REWARD_GOAL if ch == "G" else REWARD_TRAP if ch == "T" else REWARD_STEP
        return nr * cols + nc, reward, ch in "GT"

    q = np.zeros((rows * cols, 4))
    for _ in range(500):
        previous = q.copy()
        for s in range(rows * cols):
            if LAYOUT[s // cols][s % cols] in "#GT":
                continue
            for a in range(4):
                new, reward, done = step(s, a)
                q[s, a] = reward if done else reward + gamma * previous[new].max()
        if np.abs(q - previous).max() < 1e-12:
            break
    return float(q[0].max())


def solve_value_gamma() -> float:
    gamma, n = 0.9, 8      # the shortest safe path has 8 moves: 7 step penalties, then the goal
    return REWARD_STEP * sum(gamma**t for t in range(n - 1)) + gamma ** (n - 1) * REWARD_GOAL


def check_value_gamma(answer: Any) -> str:
    got = as_number(answer, tr("your V*(S)"))
    expected = _value_iteration(0.9)
    if abs(got - expected) < 1e-4:
        return tr("V*(S) = {expected:.4f} with gamma = 0.9, against {value_095:.4f} with 0.95.",
                  expected=expected, value_095=_value_iteration(0.95))
    n = 8
    hints = {
        _value_iteration(0.95): tr("that is the value with gamma = 0.95 (the notebook's): use 0.9"),
        0.9 ** (n - 1): tr("you left out the step penalties (-0.01 for each of the 7 moves before the goal)"),
        REWARD_STEP * sum(0.9**t for t in range(n)) + 0.9**n: tr("one discount too many: the goal's +1 "
                                                                 "comes with the 8th move, discounted by "
                                                                 "gamma**7, after 7 penalties"),
        REWARD_STEP * (n - 1) + 0.9 ** (n - 1): tr("the step penalties are discounted too: -0.01 * gamma**t"),
    }
    for value, hint in hints.items():
        if abs(got - value) < 1e-4:
            raise Wrong(tr("your value {got:.4f} is not V*(S) = {expected:.4f}: {hint}", got=got,
                           expected=expected, hint=hint))
    raise Wrong(tr("your value is {got:.4f}, expected {expected:.4f}: the return of the 8-move path is "
                   "-0.01 (1 + gamma + ... + gamma**6) + gamma**7", got=got, expected=expected))


q2 = Exercise(
    chapter="03", name="q2", title="V*(S) with gamma = 0.9",
    checker=check_value_gamma, solver=solve_value_gamma,
    hints=["The best policy still walks the 8-move shortest path: a smaller gamma only makes later rewards "
           "count less.",
           "Seven step penalties discounted by gamma**0 ... gamma**6, then the goal's +1 discounted by "
           "gamma**7."],
    wrong_answers=[lambda: _value_iteration(0.95), lambda: 0.9**7, lambda: -0.01 * 7 + 0.9**7],
)


# --- q3: epsilon-greedy ------------------------------------------------------------------------------


def solve_choose() -> Any:
    def choose(q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
        """Epsilon-greedy: explore with probability epsilon, else a best action (ties at random)."""
        if rng.random() < epsilon:
            return int(rng.integers(len(q_row)))
        best = np.flatnonzero(q_row == q_row.max())
        return int(rng.choice(best))

    return choose


def _frequencies(choose: Any, row: np.ndarray, epsilon: float, draws: int = 6000) -> np.ndarray:
    rng = np.random.default_rng(0)
    picks = [int(choose(row, epsilon, rng)) for _ in range(draws)]
    if min(picks) < 0 or max(picks) >= len(row):
        bad = min(picks) if min(picks) < 0 else max(picks)
        raise Wrong(tr("your function returned the action {bad}; actions are 0 to {len_row_1}", bad=bad,
                       len_row_1=len(row) - 1))
    return np.bincount(picks, minlength=len(row)) / draws


def check_choose(answer: Any) -> str:
    expect_callable(answer, "choose")
    row, tie = np.array([0.1, 0.5, -0.2, 0.0]), np.array([0.5, 0.5, 0.0, -1.0])
    cases = [(row, 0.0, [0.0, 1.0, 0.0, 0.0],
              tr("epsilon = 0 must always take the best action (→, index 1)")),
             (tie, 0.0, [0.5, 0.5, 0.0, 0.0], tr("two actions share the best value: pick either, at "
                                                 "random, about half the time each (np.flatnonzero(q_row "
                                                 "== q_row.max()) lists them)")),
             (row, 1.0, [0.25] * 4, tr("epsilon = 1 must pick every action a quarter of the time")),
             (row, 0.2, [0.05, 0.85, 0.05, 0.05], tr("with epsilon = 0.2 the random move is one of ALL "
                                                     "four actions, so the best one is taken 0.8 + 0.2/4 = "
                                                     "85% of the time"))]
    for q_row, epsilon, expected, why in cases:
        got = _frequencies(answer, q_row, epsilon)
        if np.abs(got - np.array(expected)).max() > 0.03:
            raise Wrong(tr("for Q = {q_row_tolist} and epsilon = {epsilon} your actions came out with "
                           "frequencies {frequencies}, expected about {expected}: {why}",
                           q_row_tolist=q_row.tolist(), epsilon=epsilon,
                           frequencies=np.round(got, 3).tolist(), expected=expected, why=why))
    return tr("exploration and exploitation in four lines.")


def _explores_only_the_others(q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """A wrong answer: the random move avoids the best actions."""
    best = np.flatnonzero(q_row == q_row.max())
    if rng.random() < epsilon and len(best) < len(q_row):
        return int(rng.choice(np.flatnonzero(q_row != q_row.max())))
    return int(rng.choice(best))


q3 = Exercise(
    chapter="03", name="q3", title="Epsilon-greedy",
    checker=check_choose, solver=solve_choose,
    hints=["rng.random() < epsilon decides whether to explore; rng.integers(4) is a random action.",
           "best = np.flatnonzero(q_row == q_row.max()) lists every best action; rng.choice(best) picks "
           "one."],
    wrong_answers=[lambda: _explores_only_the_others,
                   lambda: lambda q_row, epsilon, rng: int(rng.integers(len(q_row))) if rng.random() < epsilon
                   else int(q_row.argmax()),                                # ties: always the first
                   lambda: lambda q_row, epsilon, rng: int(rng.integers(len(q_row))) if rng.random() > epsilon
                   else int(q_row.argmax())],                               # epsilon inverted
)
