"""The question trees' check (pure): each problem named with its node."""

from __future__ import annotations

from kefu.kb.trees import MAX_ANSWERS, MAX_DEPTH, Edge, Node, Problem, Shape, problems


def Q(id: str, text: str = "?") -> Node:
    return Node(id, "question", text)


def S(id: str, article: int = 1) -> Node:
    return Node(id, "solution", "", article)


def E(a: str, b: str, label: str) -> Edge:
    return Edge(a, b, label)


GOOD = Shape((Q("q1", "签收了吗?"), Q("q2", "超过7天了吗?"), S("s1", 1), S("s2", 2)),
             (E("q1", "q2", "是"), E("q1", "s2", "否"), E("q2", "s2", "是"),
              E("q2", "s1", "否")))           # s2 reused by two answers: a DAG is allowed


def test_a_sound_tree_has_no_problem_and_its_root_is_the_node_nothing_leads_to() -> None:
    assert problems(GOOD) == []
    assert GOOD.root() == Q("q1", "签收了吗?")
    assert GOOD.articles() == {1, 2}


def test_a_dead_end_question_is_named() -> None:
    shape = Shape((Q("q1"), Q("q2"), S("s1")), (E("q1", "q2", "a"), E("q1", "s1", "b")))
    assert problems(shape) == [Problem("q2", "a dead end: a question with no answers")]


def test_an_answer_to_nowhere_and_a_solution_with_answers() -> None:
    shape = Shape((Q("q1"), S("s1")), (E("q1", "s1", "a"), E("q1", "zz", "b"),
                                        E("s1", "q1", "c")))
    assert problems(shape) == [
        Problem("zz", "answer 'b' names a node that does not exist"),
        Problem("s1", "a solution ends the walk: it has no answers")]


def test_a_loop_is_named_with_its_nodes() -> None:
    shape = Shape((Q("q1"), Q("q2"), Q("q3"), S("s1")),
                  (E("q1", "q2", "a"), E("q2", "q3", "a"), E("q3", "q2", "a"),
                   E("q3", "s1", "b")))
    assert problems(shape) == [Problem("q2", "a loop: q2 → q3 → q2")]


def test_a_tree_that_is_all_loop_has_no_root() -> None:
    shape = Shape((Q("q1"), Q("q2")), (E("q1", "q2", "a"), E("q2", "q1", "a")))
    assert problems(shape) == [Problem("", "no root: every node is an answer's target "
                                           "(a loop)")]


def test_a_second_root_and_an_unreachable_cycle_are_reported() -> None:
    shape = Shape((Q("q1"), S("s1"), S("lone"), Q("x"), Q("y"), S("s2")),
                  (E("q1", "s1", "a"), E("x", "y", "a"), E("y", "s2", "a")))
    assert problems(shape) == [Problem("lone", "a second root: no answer leads here"),
                               Problem("x", "a second root: no answer leads here"),
                               Problem("y", "unreachable from the root"),
                               Problem("s2", "unreachable from the root")]
    island = Shape((Q("q1"), S("s1"), Q("x"), Q("y"), S("s2")),
                   (E("q1", "s1", "a"), E("x", "y", "a"), E("y", "x", "b"),
                    E("y", "s2", "c")))
    assert problems(island) == [Problem("x", "a loop: x → y → x")]


def test_unreachable_nodes_behind_a_second_root() -> None:
    shape = Shape((Q("q1"), S("s1"), Q("x"), S("s2")),
                  (E("q1", "s1", "a"), E("x", "s2", "a"), E("x", "s1", "b")))
    # x is a second root; s2 only hangs under it, so it is unreachable from q1
    assert problems(shape) == [Problem("x", "a second root: no answer leads here"),
                               Problem("s2", "unreachable from the root")]


def test_node_rules() -> None:
    shape = Shape((Q("q1", " "), Node("q 2", "question", "?"), Node("s1", "solution"),
                   Node("s1", "answer", "x"), Node("q3", "question", "?", 5)),
                  (E("q1", "s1", "a"), E("q1", "s1", "a"), E("q 2", "s1", "b"),
                   E("q3", "s1", "")))
    assert problems(shape) == [
        Problem("q1", "a question needs its text"),
        Problem("q 2", "a node id is 1-32 letters, digits, '-' or '_'"),
        Problem("s1", "a solution needs an article"),
        Problem("s1", "two nodes have this id"),
        Problem("s1", "kind 'answer': one of question, solution"),
        Problem("q3", "a question has no article (a solution does)"),
        Problem("q1", "two answers have the same label"),
        Problem("q3", "an answer's label is 1-100 characters")]


def test_limits_answers_and_depth() -> None:
    many = Shape((Q("q"), S("s")), tuple(E("q", "s", f"a{i}") for i in range(MAX_ANSWERS + 1)))
    assert problems(many) == [Problem("q", f"{MAX_ANSWERS + 1} answers; at most {MAX_ANSWERS}")]
    n = MAX_DEPTH + 1                            # a chain of 21 questions
    chain = Shape(tuple(Q(f"q{i}") for i in range(n)) + (S("s"),),
                  tuple(E(f"q{i}", f"q{i + 1}", "a") for i in range(n - 1))
                  + (E(f"q{n - 1}", "s", "a"),))
    assert problems(chain) == [Problem("q0", f"{n} questions deep; at most {MAX_DEPTH}")]
    ok = Shape(chain.nodes[1:], chain.edges[1:])
    assert problems(ok) == []
    assert problems(Shape((), ())) == [Problem("", "a tree needs at least one node")]
