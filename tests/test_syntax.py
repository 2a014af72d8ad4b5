"""The SuperCollider lexer, parser, AST and printer (DESIGN §4).

Every SynthDef in ``tests/synthdefs/`` is parsed and printed, and real sclang compiles both the
original and the printed code: the SCgf bytes must be identical. The rest checks the grammar's
corners, errors with their line and column, the tree utilities and the printer's parentheses on
trees that were built rather than parsed.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiomancer.errors import SynthDefError
from audiomancer.supercollider.library import template_names, template_path
from audiomancer.supercollider.syntax import (
    Array,
    Assign,
    BinaryOp,
    Call,
    Char,
    ClassName,
    Comment,
    Constant,
    EnvVar,
    Event,
    FunctionDef,
    Index,
    KeyValue,
    KeywordArg,
    LiteralArray,
    MultiAssign,
    Name,
    Node,
    Number,
    Param,
    Paren,
    Program,
    Ref,
    Return,
    Sequence,
    Series,
    Slice,
    Splat,
    String,
    SuperColliderSyntaxError,
    Symbol,
    VarDecl,
    VarDef,
    find_calls,
    find_synthdefs,
    parse,
    print_code,
    replace_node,
    transform,
    walk,
    walk_with_parents,
)
from conftest import need_engine

CORPUS = sorted((Path(__file__).parent / "synthdefs").glob("*.scd"))
TEMPLATES = [template_path(name) for name in template_names()]


def only(source: str) -> Node:
    """The single statement of a program."""
    program = parse(source)
    assert len(program.body) == 1, program.body
    return program.body[0]


def round_trips(source: str) -> str:
    """Print the parse of ``source`` and check that it reads back the same; the printed text."""
    tree = parse(source)
    printed = print_code(tree)
    assert parse(printed) == tree, printed
    assert print_code(parse(printed)) == printed
    return printed


def without_parens(node: Node) -> Node:
    """The tree with single-expression parentheses removed (they only group)."""

    def unwrap(current: Node) -> Node:
        if isinstance(current, Paren) and len(current.body) == 1:
            return current.body[0]
        return current

    return transform(node, unwrap)


# --- the corpus ------------------------------------------------------------------------------


def test_the_corpus_has_at_least_80_synthdefs() -> None:
    assert len(CORPUS) >= 80


@pytest.fixture(scope="module")
def compile_synthdef() -> Callable[[str], bytes]:
    need_engine("sclang")
    from audiomancer.supercollider import lang

    return lang.compile_synthdef


@pytest.mark.engines
@pytest.mark.parametrize("path", CORPUS + TEMPLATES, ids=lambda path: path.stem)
def test_printed_code_compiles_to_the_same_bytes(
    path: Path, compile_synthdef: Callable[[str], bytes]
) -> None:
    source = path.read_text()
    printed = print_code(parse(source))
    original = compile_synthdef(source)
    assert original.startswith(b"SCgf")
    assert compile_synthdef(printed) == original, printed


@pytest.mark.parametrize("path", CORPUS + TEMPLATES, ids=lambda path: path.stem)
def test_corpus_round_trips(path: Path) -> None:
    round_trips(path.read_text())


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.stem)
def test_corpus_files_hold_one_synthdef(path: Path) -> None:
    (synthdef,) = find_synthdefs(parse(path.read_text()))
    assert synthdef.name is not None
    assert synthdef.function is not None


def test_corpus_covers_the_constructs_of_design_section_4() -> None:
    nodes = [node for path in CORPUS for node in walk(parse(path.read_text()))]
    functions = [node for node in nodes if isinstance(node, FunctionDef)]
    assert {function.arg_style for function in functions if function.params} == {"pipe", "arg"}
    defaults = [param.default for node in functions for param in node.params]
    assert any(isinstance(default, LiteralArray) for default in defaults)
    assert any(isinstance(d, Number) and d.text.startswith("-") for d in defaults)
    assert None in defaults
    names = {param.name for node in functions for param in node.params}
    assert any(name.startswith("t_") for name in names)
    assert any(name.startswith("i_") for name in names)
    selectors = {node.selector for node in nodes if isinstance(node, Call)}
    assert {"kr", "ar", "dup", "add", "store", "writeDefFile", "send", "range"} <= selectors
    assert {"linexp", "neg", "abs", "tanh", "clip2", "collect", "do", "fill"} <= selectors
    classes = {node.name for node in nodes if isinstance(node, ClassName)}
    assert {"Out", "OffsetOut", "ReplaceOut", "XOut", "Pan2", "Splay", "LeakDC"} <= classes
    assert {"FreeVerb", "CombN", "Select", "Klank", "Demand", "Dseq", "Done"} <= classes
    assert any(isinstance(node, Ref) for node in nodes)
    assert any(isinstance(node, BinaryOp) and node.adverb for node in nodes)
    assert any(isinstance(node, BinaryOp) and node.op == "!" for node in nodes)
    assert any(isinstance(node, Call) and node.kwargs for node in nodes)
    assert any(isinstance(node, MultiAssign) for node in nodes)
    assert any(parse(path.read_text()).parenthesized for path in CORPUS)


def test_corpus_names_come_in_every_form() -> None:
    names = [find_synthdefs(parse(path.read_text()))[0].name for path in CORPUS]
    styles = {name.style for name in names if isinstance(name, Symbol)}
    assert styles == {"backslash", "quoted"}
    assert any(isinstance(name, String) for name in names)
    assert any(isinstance(name, Call) for name in names)


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("440", 440),
        ("-1", -1),
        ("0.25", 0.25),
        ("1e3", 1000.0),
        ("1.5e-2", 0.015),
        ("2.5E2", 250.0),
        ("16rFF", 255),
        ("16r1.8", 1.5),
        ("36rZZ", 1295),
        ("2r101", 5),
        ("0x1F", 31),
        ("pi", math.pi),
        ("-pi", -math.pi),
        ("2pi", 2 * math.pi),
        ("-2pi", -2 * math.pi),
        ("0.5pi", 0.5 * math.pi),
        ("inf", math.inf),
        ("-inf", -math.inf),
        ("2s", 2.1),
        ("4b", 3.9),
        ("7ss", 7.2),
        ("1s20", 1.02),
        ("-1s", -0.9),
    ],
)
def test_number_literals(text: str, value: float) -> None:
    node = only(text)
    assert node == Number(text)
    assert node.value == pytest.approx(value)
    assert type(node.value) is type(value)


def test_pi_after_a_number_is_part_of_the_literal() -> None:
    assert only("2 pi") == Number("2pi")
    assert only("x * 2pi") == BinaryOp(Name("x"), "*", Number("2pi"))


@pytest.mark.parametrize("value", [0.5, -3, 1e-05, 1.5e20, 440, math.inf, -math.inf])
def test_number_of_spells_a_literal_sclang_reads_back(value: float) -> None:
    number = Number.of(value)
    assert only(print_code(number)) == number
    assert number.value == value


def test_number_of_refuses_nan_and_booleans() -> None:
    with pytest.raises(ValueError, match="NaN"):
        Number.of(math.nan)
    with pytest.raises(TypeError):
        Number.of(True)


# --- lexer ---------------------------------------------------------------------------------------


def test_strings_symbols_and_characters() -> None:
    assert only(r'"say \"hi\"\n"').value == 'say "hi"\n'
    assert only('"con" "cat"  "enated"') == String("concatenated")
    assert only(r"\freq") == Symbol("freq")
    assert only("'with space'") == Symbol("with space", "quoted")
    assert only(r"'it\'s'") == Symbol("it's", "quoted")
    assert only("\\") == Symbol("")
    assert only("$a") == Char("a")
    assert only(r"$\n").value == "\n"
    assert only("$ ").value == " "


def test_string_of_escapes() -> None:
    text = 'back\\slash "quoted"'
    node = String.of(text)
    assert node.value == text
    assert only(print_code(node)) == node


def test_symbols_print_quoted_when_they_are_not_names() -> None:
    assert print_code(Symbol("freq")) == r"\freq"
    assert print_code(Symbol("two words")) == "'two words'"
    assert print_code(Symbol("it's", "quoted")) == r"'it\'s'"
    assert only(print_code(Symbol("a'b\\c"))).name == "a'b\\c"


def test_keyword_needs_the_colon_right_after_the_name() -> None:
    assert only("f(freq: 1)") == Call(
        None, "f", (), (KeywordArg("freq", Number("1")),), (), "function"
    )
    with pytest.raises(SuperColliderSyntaxError):
        parse("f(freq : 1)")


def test_operator_characters_run_together() -> None:
    assert only("a*-1") == BinaryOp(Name("a"), "*-", Number("1"))
    assert only("a == b") == BinaryOp(Name("a"), "==", Name("b"))
    assert only("a <= b") == BinaryOp(Name("a"), "<=", Name("b"))


def test_non_ascii_characters_outside_strings_are_skipped_like_sclang() -> None:
    assert only("SinOsc.ar(440,\u00a00)") == only("SinOsc.ar(440, 0)")
    assert only('"caf\u00e9"').value == "caf\u00e9"


# --- expressions ---------------------------------------------------------------------------------


def test_binary_operators_evaluate_left_to_right() -> None:
    a, b, c = Name("a"), Name("b"), Name("c")
    assert only("a + b * c") == BinaryOp(BinaryOp(a, "+", b), "*", c)
    assert only("a + (b * c)") == BinaryOp(a, "+", Paren((BinaryOp(b, "*", c),)))
    assert print_code(BinaryOp(a, "+", BinaryOp(b, "*", c))) == "a + (b * c)"
    assert print_code(BinaryOp(BinaryOp(a, "+", b), "*", c)) == "a + b * c"


def test_message_sends_bind_tighter_than_operators() -> None:
    assert only("a + b.abs") == BinaryOp(Name("a"), "+", Call(Name("b"), "abs", parens=False))
    assert print_code(Call(BinaryOp(Name("a"), "+", Name("b")), "abs", parens=False)) == (
        "(a + b).abs"
    )


def test_keyword_operators_and_adverbs() -> None:
    assert only("a max: b + c") == BinaryOp(BinaryOp(Name("a"), "max:", Name("b")), "+", Name("c"))
    assert only("a +.x b") == BinaryOp(Name("a"), "+", Name("b"), "x")
    assert only("a *.1 b").adverb == "1"
    assert only("a +.-1 b").adverb == "-1"
    assert only("sig!2") == BinaryOp(Name("sig"), "!", Number("2"))
    assert only("a max: b").selector == "max"


def test_minus_is_a_sign_only_on_number_literals() -> None:
    assert only("x - 1") == only("x -1") == BinaryOp(Name("x"), "-", Number("1"))
    assert only("f(-1, - 2)").args == (Number("-1"), Number("-2"))
    assert only("-1.abs") == Call(Number("-1"), "abs", parens=False)
    with pytest.raises(SuperColliderSyntaxError, match=r"use \.neg"):
        parse("-x")


def test_negative_number_after_an_operator_prints_apart() -> None:
    node = BinaryOp(Name("x"), "-", Number("-1"))
    assert print_code(node) == "x - -1"
    assert only(print_code(node)) == node


def test_assignments() -> None:
    assert only("x = y = 3") == Assign(Name("x"), Assign(Name("y"), Number("3")))
    assert only("~x = 1") == Assign(EnvVar("x"), Number("1"))
    assert only("a.b = 3") == Assign(Call(Name("a"), "b", parens=False), Number("3"))
    assert only("a[0] = 1") == Assign(Index(Name("a"), (Number("0"),)), Number("1"))
    assert only("out(i) = 0") == Assign(
        Call(None, "out", (Name("i"),), style="function"), Number("0")
    )
    assert only("1 + x = 4") == BinaryOp(Number("1"), "+", Assign(Name("x"), Number("4")))
    assert only("#a, b = c") == MultiAssign(("a", "b"), None, Name("c"))
    assert only("#a ... b = c") == MultiAssign(("a",), "b", Name("c"))


def test_calls_keep_how_they_were_written() -> None:
    sin = only("SinOsc.ar(440, mul: 0.1)")
    assert sin == Call(
        ClassName("SinOsc"), "ar", (Number("440"),), (KeywordArg("mul", Number("0.1")),)
    )
    assert only("Env([0, 1], [1])").style == "new"
    assert only("Env.new([0, 1], [1])").style == "method"
    assert only("max(a, b)") == Call(None, "max", (Name("a"), Name("b")), style="function")
    assert only("f.(1)") == Call(Name("f"), "value", (Number("1"),), style="value")
    assert only("f.()") == Call(Name("f"), "value", style="value")
    assert only("x.abs").parens is False
    assert only("x.abs()").parens is True
    assert only("f(*args)").args == (Splat(Name("args")),)


def test_trailing_function_blocks() -> None:
    loop = only("4.do { |i| i }")
    assert isinstance(loop, Call)
    assert loop.receiver == Number("4")
    assert loop.selector == "do"
    assert loop.blocks == (FunctionDef((Param("i"),), body=(Name("i"),)),)
    assert only("if(c) { 1 } { 2 }").blocks == (
        FunctionDef(body=(Number("1"),)),
        FunctionDef(body=(Number("2"),)),
    )
    assert only("loop { 1 }") == Call(
        None, "loop", blocks=(FunctionDef(body=(Number("1"),)),), style="function", parens=False
    )
    assert only("Array.fill(3) { 0 }").args == (Number("3"),)
    assert only("{ }.dup(4)").receiver == FunctionDef()
    with pytest.raises(SuperColliderSyntaxError, match="needs an argument"):
        parse("store()")


def test_arguments_may_be_expression_sequences() -> None:
    assert only("f(a; b, c)").args == (Sequence((Name("a"), Name("b"))), Name("c"))
    assert only("f(a;)") == only("f(a)")
    round_trips("f(a; b, c)")


def test_reference_binds_to_the_primary_and_its_index() -> None:
    assert only("`[1, 2].size") == Call(
        Ref(Array((Number("1"), Number("2")))), "size", parens=False
    )
    assert only("`x[0]") == Ref(Index(Name("x"), (Number("0"),)))
    assert print_code(Ref(Call(Name("x"), "neg", parens=False))) == "`(x.neg)"
    assert print_code(Ref(Call(ClassName("Foo"), "new", (Number("1"),), style="new"))) == "`Foo(1)"


def test_collections() -> None:
    assert only("[1, 2,]") == Array((Number("1"), Number("2")))
    assert only("Array[1]") == Array((Number("1"),), "Array")
    assert only("[freq: 440]") == Array((KeyValue("freq", Number("440")),))
    assert only("#[a, \\b, 'c', 1, [2], nil]") == LiteralArray(
        (
            Symbol("a", "bare"),
            Symbol("b"),
            Symbol("c", "quoted"),
            Number("1"),
            LiteralArray((Number("2"),)),
            Constant("nil"),
        )
    )
    assert only("x = (a: 1, b: 2)").value == Event(
        (KeyValue("a", Number("1")), KeyValue("b", Number("2")))
    )
    assert only("x = (1: 2)").value == Event((KeyValue(Number("1"), Number("2")),))
    assert only("x = ()").value == Event()


def test_event_keys_that_are_variables_print_apart_from_the_colon() -> None:
    event = Event((KeyValue(Name("key"), Number("1")), KeyValue("sym", Number("2"))))
    assert print_code(event) == "(key : 1, sym: 2)"
    assert only(f"x = {print_code(event)}").value == event


def test_series_and_slices() -> None:
    one, four = Number("1"), Number("4")
    assert only("x = (1..4)").value == Series(one, None, four)
    assert only("x = (1, 3..9)").value == Series(one, Number("3"), Number("9"))
    assert only("x = (..4)").value == Series(None, None, four)
    assert only("x = (1..)").value == Series(one, None, None)
    assert only("a[1..4]") == Slice(Name("a"), one, None, four)
    assert only("a[..4]") == Slice(Name("a"), None, None, four)
    assert only("a[1..]") == Slice(Name("a"), one, None, None)
    assert only("a[0, 2..]") == Slice(Name("a"), Number("0"), Number("2"), None)
    assert only("a.[0]") == Index(Name("a"), (Number("0"),), dot=True)


# --- functions and programs ------------------------------------------------------------------


def test_both_argument_styles() -> None:
    pipe = only("{ |a = 1, b| a }")
    arg = only("{ arg a = 1, b; a }")
    assert isinstance(pipe, FunctionDef)
    assert isinstance(arg, FunctionDef)
    assert pipe.params == arg.params == (Param("a", Number("1")), Param("b"))
    assert (pipe.arg_style, arg.arg_style) == ("pipe", "arg")
    assert print_code(pipe) == "{ |a = 1, b| a }"
    assert print_code(arg) == "{ arg a = 1, b; a }"


def test_pipe_parameters_without_commas_or_equals() -> None:
    function = only("{ |a b = 2 c 3| }")
    assert isinstance(function, FunctionDef)
    assert function.params == (Param("a"), Param("b", Number("2")), Param("c", Number("3")))


def test_parameter_defaults() -> None:
    function = only("{ |a = -1, b = #[1, 2], c = (1 + 2), d = \\x, e = inf| }")
    assert isinstance(function, FunctionDef)
    assert [param.default for param in function.params] == [
        Number("-1"),
        LiteralArray((Number("1"), Number("2"))),
        Paren((BinaryOp(Number("1"), "+", Number("2")),)),
        Symbol("x"),
        Number("inf"),
    ]
    expression = FunctionDef((Param("a", BinaryOp(Number("1"), "+", Number("2"))),))
    assert print_code(expression) == "{ |a = (1 + 2)| }"
    assert print_code(replace(expression, arg_style="arg")) == "{ arg a = 1 + 2; }"


def test_rest_parameters_and_closed_functions() -> None:
    assert only("{ |a ... b| }") == FunctionDef((Param("a"),), "b")
    assert only("{ arg ... b; }") == FunctionDef((), "b", "arg")
    assert only("#{ 1 }") == FunctionDef(body=(Number("1"),), closed=True)
    for source in ("{ |a ... b| }", "{ arg ... b; }", "{ arg a ... b; }", "#{ 1 }"):
        round_trips(source)


def test_var_declarations_and_return() -> None:
    function = only("{ var a = 1, b; var c; a; ^b }")
    assert isinstance(function, FunctionDef)
    assert function.var_decls == (
        VarDecl((VarDef("a", Number("1")), VarDef("b"))),
        VarDecl((VarDef("c"),)),
    )
    assert function.body == (Name("a"), Return(Name("b")))
    assert only("{ a ^b }") == function.__class__(body=(Name("a"), Return(Name("b"))))
    with pytest.raises(SuperColliderSyntaxError, match="must come before"):
        parse("{ a; var b; }")
    with pytest.raises(SuperColliderSyntaxError, match="last statement"):
        parse("{ ^a; b }")


def test_whole_file_block_with_variables() -> None:
    program = parse("(\nvar x = 1;\nx + 1\n)\n")
    assert program.parenthesized
    assert program.var_decls == (VarDecl((VarDef("x", Number("1")),)),)
    assert print_code(program) == "(\nvar x = 1;\nx + 1;\n)\n"
    assert not parse("(1); (2)").parenthesized


def test_whole_file_parentheses_around_one_expression() -> None:
    assert parse("(a: 1)").body == (Event((KeyValue("a", Number("1")),)),)
    assert parse("(1..4)").body == (Series(Number("1"), None, Number("4")),)
    round_trips("(a: 1)")


# --- comments ------------------------------------------------------------------------------------


def test_comments_attach_to_the_following_statement() -> None:
    program = parse("a; // after a\n// before b\nb; /* c */ c\n")
    a, b, c = program.body
    assert a.comments == ()
    assert b.comments == (Comment("// after a", own_line=False), Comment("// before b"))
    assert c.comments == (Comment("/* c */", own_line=False),)
    assert print_code(program) == "a; // after a\n// before b\nb; /* c */\nc;\n"


def test_nested_block_comments() -> None:
    program = parse("/* outer /* inner */ still outer */ x")
    assert program.body[0].comments[0].text == "/* outer /* inner */ still outer */"


def test_comments_in_parameters_arguments_and_closers_survive_printing() -> None:
    source = (
        "SynthDef(\\x, { |out = 0, // bus\n"
        "\tfreq = 440|\n"
        "\tOut.ar(out, SinOsc.ar(\n"
        "\t\t// pitch\n"
        "\t\tfreq\n"
        "\t))\n"
        "\t// the end\n"
        "}).add; // done\n"
        "// file end\n"
    )
    printed = round_trips(source)
    for text in ("// bus", "// pitch", "// the end", "// done", "// file end"):
        assert text in printed
    assert printed == source


def comment_texts(program: Program) -> list[str]:
    """Every comment held anywhere in the tree, sorted."""
    found = [*program.closing_comments, *program.footer_comments]
    for node in walk(program):
        found.extend(node.comments)
        if isinstance(node, FunctionDef):
            found.extend(node.closing_comments)
    return sorted(comment.text for comment in found)


TRICKY_COMMENTS = """/* head */ ( // a
var x /* b */ = [1, /* c */ 2 // d
]; // e
SynthDef /* f */ (\\x, { |a = /* g */ 1 /* h */| // i
\tf(a; /* j */ x) /* k */ .value; #[/* l */ 1] // m
/* n */ }) // o
) // p
"""


@pytest.mark.parametrize(
    "source",
    [path.read_text() for path in CORPUS if "//" in path.read_text() or "/*" in path.read_text()]
    + [TRICKY_COMMENTS],
)
def test_no_comment_is_lost(source: str) -> None:
    program = parse(source)
    printed = round_trips(source)
    assert comment_texts(parse(printed)) == comment_texts(program)
    if source == TRICKY_COMMENTS:
        letters = {"/* head */"} | {f"/* {c} */" for c in "bcfghjkln"}
        letters |= {f"// {c}" for c in "adeimop"}
        assert comment_texts(program) == sorted(letters)


def test_comments_only() -> None:
    program = parse("// nothing\n/* here */\n")
    assert program.body == ()
    assert print_code(program) == "// nothing\n/* here */\n"


def test_comments_do_not_change_equality() -> None:
    assert parse("// one\nx") == parse("x")


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "column", "words"),
    [
        ('x = "open', 1, 5, "unterminated string"),
        ("a;\n/* never closed", 2, 1, "unterminated /* comment"),
        ("SynthDef(\\x, {\n\tOut.ar(0, 1)\n", 1, 14, "unclosed '{'"),
        ("f(1]", 1, 4, "closed by ']'"),
        ("x)", 1, 2, "unmatched ')'"),
        ("x = ;", 1, 5, "unexpected ';'"),
        ("{\n\tvar a = 1\n\ta\n}", 3, 2, "expected ';'"),
        ("f(a: 1, 2)", 1, 9, "positional argument after keyword"),
        ("{ |a,| }", 1, 6, "expected a parameter name"),
        ("x = 1e", 1, 7, "exponent needs digits"),
        ("'open\n'", 1, 1, "unterminated 'symbol'"),
        ("x.", 1, 3, "expected a message name"),
        ("{ |a = b| }", 1, 8, "must be a literal"),
        ("#[x + 1]", 1, 5, "expected ',' between literal array elements"),
        ("#[{}]", 1, 3, "cannot appear in a literal array"),
        ("x = `", 1, 6, "unexpected end of input"),
    ],
)
def test_errors_name_line_and_column(source: str, line: int, column: int, words: str) -> None:
    with pytest.raises(SuperColliderSyntaxError) as caught:
        parse(source)
    error = caught.value
    assert (error.line, error.column) == (line, column), str(error)
    assert words in str(error)
    assert f"line {line}, column {column}" in str(error)
    assert isinstance(error, SynthDefError)
    assert isinstance(error, ValueError)


def test_error_in_a_whole_file_block_is_reported_where_it_is() -> None:
    with pytest.raises(SuperColliderSyntaxError) as caught:
        parse("(\nvar x = 1;\nx = ;\n)")
    assert (caught.value.line, caught.value.column) == (3, 5)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(SuperColliderSyntaxError, match="nested too deeply"):
        parse("[" * 5000 + "]" * 5000)


# --- finding SynthDefs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "name_value", "suffix"),
    [
        ("SynthDef(\\a, { }).add", "a", ("add",)),
        ('SynthDef("b", { }).store', "b", ("store",)),
        ("SynthDef('c', { }).writeDefFile", "c", ("writeDefFile",)),
        ("SynthDef(\\d, { }).send(s)", "d", ("send",)),
        ("SynthDef(\\e, { })", "e", ()),
        ("SynthDef.new(\\f, { }).add", "f", ("add",)),
        ('SynthDef(("g" ++ 1).asSymbol, { }).add.name', None, ("add", "name")),
    ],
)
def test_find_synthdefs_names_and_suffixes(
    source: str, name_value: str | None, suffix: tuple[str, ...]
) -> None:
    (synthdef,) = find_synthdefs(parse(source))
    assert synthdef.name_value == name_value
    assert synthdef.suffix == suffix
    assert synthdef.graph == FunctionDef()


def test_find_synthdefs_arguments_by_position_or_keyword() -> None:
    positional = find_synthdefs(parse("SynthDef(\\a, f, [0.1, nil], [1], (x: []), (k: 1))"))[0]
    assert positional.function == Name("f")
    assert positional.graph is None
    assert positional.rates == Array((Number("0.1"), Constant("nil")))
    assert positional.prepend_args == Array((Number("1"),))
    assert positional.variants == Event((KeyValue("x", Array()),))
    assert positional.metadata == Event((KeyValue("k", Number("1")),))
    keyword = find_synthdefs(parse("SynthDef(name: \\a, ugenGraphFunc: { }, metadata: ())"))[0]
    assert keyword.name == Symbol("a")
    assert keyword.graph == FunctionDef()
    assert keyword.metadata == Event()
    assert keyword.rates is None


def test_find_synthdefs_in_order() -> None:
    program = parse("(\nSynthDef(\\one, { }).add;\nx = [SynthDef(\\two, { })];\n)")
    assert [synthdef.name_value for synthdef in find_synthdefs(program)] == ["one", "two"]


# --- tree utilities and edits --------------------------------------------------------------------

SAW_BASS = (Path(__file__).parent / "synthdefs" / "saw_bass.scd").read_text()


def saw_to_pulse(node: Node) -> Node:
    if isinstance(node, Call) and node.receiver == ClassName("Saw"):
        return replace(node, receiver=ClassName("Pulse"))
    return node


def test_walk_is_pre_order() -> None:
    program = parse("a + b.c")
    kinds = [type(node).__name__ for node in walk(program)]
    assert kinds == ["Program", "BinaryOp", "Name", "Call", "Name"]
    pairs = list(walk_with_parents(program))
    assert pairs[0] == (program, None)
    assert pairs[1][1] is program


def test_transform_replaces_a_receiver_and_keeps_untouched_subtrees() -> None:
    program = parse(SAW_BASS)
    mutated = transform(program, saw_to_pulse)
    assert find_calls(mutated, "Saw") == []
    assert len(find_calls(mutated, "Pulse", "ar")) == 1
    assert "Pulse.ar(freq)" in print_code(mutated)
    assert transform(program, lambda node: node) is program
    old_out = find_calls(program, "Out")[0]
    assert find_calls(mutated, "Out")[0].args[0] is old_out.args[0]


def test_replace_node_swaps_by_identity() -> None:
    program = parse("[x, x]")
    array = program.body[0]
    assert isinstance(array, Array)
    second = array.elements[1]
    edited = replace_node(program, second, Name("y"))
    assert print_code(edited) == "[x, y];\n"


def test_wrapping_a_control_in_an_lfo_keeps_evaluation_order() -> None:
    program = parse("RLPF.ar(sig, cutoff * 2, 100 + cutoff)")
    lfo = Call(
        Call(ClassName("LFTri"), "kr", (Number("0.3"),)), "range", (Number("0.5"), Number("2"))
    )

    def wobble(node: Node) -> Node:
        return BinaryOp(node, "*", lfo) if node == Name("cutoff") else node

    wrapped = transform(program, wobble)
    printed = print_code(wrapped)
    assert printed == (
        "RLPF.ar(sig, cutoff * LFTri.kr(0.3).range(0.5, 2) * 2, "
        "100 + (cutoff * LFTri.kr(0.3).range(0.5, 2)));\n"
    )
    assert without_parens(parse(printed)) == wrapped


def test_inserting_a_variable_and_changing_a_default() -> None:
    program = parse(SAW_BASS)
    lfo = Call(
        Call(ClassName("LFTri"), "kr", (Number("0.5"),)), "range", (Number("0.9"), Number("1.1"))
    )

    def lower_freq(node: Node) -> Node:
        if isinstance(node, Param) and node.name == "freq":
            return replace(node, default=Number.of(110))
        return node

    program = transform(program, lower_freq)
    graph = find_synthdefs(program)[0].graph
    assert graph is not None
    declaration = VarDecl((VarDef("lfo", lfo),))
    edited = replace_node(program, graph, replace(graph, var_decls=(declaration, *graph.var_decls)))
    printed = print_code(edited)
    assert "|out = 0, freq = 110, amp = 0.3" in printed
    assert "\tvar lfo = LFTri.kr(0.5).range(0.9, 1.1);\n\tvar env" in printed
    round_trips(printed)


@pytest.mark.engines
def test_edited_synthdefs_compile(compile_synthdef: Callable[[str], bytes]) -> None:
    program = parse(SAW_BASS)
    original = compile_synthdef(SAW_BASS)
    pulse = compile_synthdef(print_code(transform(program, saw_to_pulse)))
    assert b"Pulse" in pulse
    assert b"Saw" not in pulse
    louder = transform(
        program,
        lambda node: (
            replace(node, default=Number.of(0.75))
            if isinstance(node, Param) and node.name == "amp"
            else node
        ),
    )
    compiled = compile_synthdef(print_code(louder))
    assert struct.pack(">f", 0.75) in compiled
    assert struct.pack(">f", 0.75) not in original


# --- printer -------------------------------------------------------------------------------------


def test_printer_is_deterministic_and_indents_with_tabs() -> None:
    source = "SynthDef(\\x,{|a=1|var s=SinOsc.ar(a);Out.ar(0,s)}).add"
    printed = print_code(parse(source))
    assert printed == (
        "SynthDef(\\x, { |a = 1|\n\tvar s = SinOsc.ar(a);\n\tOut.ar(0, s)\n}).add;\n"
    )
    assert print_code(parse(source)) == printed


def test_long_argument_lists_break_one_per_line() -> None:
    args = ", ".join(f"argument{i}" for i in range(12))
    printed = round_trips(f"Foo.bar({args})")
    assert printed.startswith("Foo.bar(\n\targument0,\n\targument1,\n")
    assert all(len(line.expandtabs(4)) <= 100 for line in printed.splitlines())


def test_long_parameter_lists_wrap() -> None:
    params = ", ".join(f"parameter{i} = {i}" for i in range(12))
    printed = round_trips(f"{{ |{params}| 1 }}")
    assert printed.count("\n") > 2
    assert all(len(line.expandtabs(4)) <= 100 for line in printed.splitlines())


def test_printing_an_expression() -> None:
    assert print_code(Call(ClassName("SinOsc"), "ar", (Number("440"),))) == "SinOsc.ar(440)"
    assert print_code(Index(BinaryOp(Name("a"), "+", Name("b")), (Number("0"),))) == "(a + b)[0]"
    assert print_code(Call(Number("16rFF"), "neg", parens=False)) == "(16rFF).neg"
    assert print_code(Call(ClassName("SinOsc"), "new", style="new")) == "SinOsc()"
    assert print_code(Call(None, "max", (Name("a"),), parens=False)) == "max(a)"


def test_printing_refuses_an_assignment_to_an_expression() -> None:
    with pytest.raises(TypeError, match="cannot assign"):
        print_code(Assign(Number("1"), Number("2")))


# --- property: printing keeps the structure of any expression ----------------------------------

_names = st.sampled_from(["a", "freq", "sig"]).map(Name)
_numbers = st.sampled_from(
    ["0", "1", "-1", "0.5", "-2.5", "1e3", "2pi", "-pi", "inf", "16rFF", "16r1.8", "0x1F", "2s"]
).map(Number)
_classes = st.sampled_from(["SinOsc", "Saw", "LFNoise1"])
_leaves = st.one_of(
    _names,
    _numbers,
    _classes.map(ClassName),
    st.sampled_from(["freq", "amp"]).map(Symbol),
    st.just(String("s")),
    st.just(EnvVar("x")),
    st.sampled_from([Symbol("two words", "quoted"), Symbol("x", "quoted"), Symbol("")]),
    st.sampled_from([Char("a"), Char("$"), Char("/"), Char("\\n"), Constant("nil")]),
    st.just(LiteralArray((Symbol("a", "bare"), Number("-1"), LiteralArray((String("s"),))))),
)
_operators = st.sampled_from(["+", "-", "*", "/", "!", "max:", "**", "<", "|", "=="])
_selectors = st.sampled_from(["ar", "kr", "range", "abs", "neg", "do"])


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    small = st.lists(children, max_size=3).map(tuple)
    return st.one_of(
        st.builds(BinaryOp, children, _operators, children),
        st.builds(lambda r, s, a: Call(r, s, a), children, _selectors, small),
        st.builds(lambda r, s: Call(r, s, parens=False), children, _selectors),
        st.builds(lambda r, v: Call(r, "ar", kwargs=(KeywordArg("mul", v),)), children, children),
        st.builds(lambda c, a: Call(ClassName(c), "new", a, style="new"), _classes, small),
        st.builds(
            lambda a: Call(None, "max", a, style="function"),
            st.lists(children, min_size=1, max_size=2).map(tuple),
        ),
        st.builds(
            lambda r, b: Call(
                r, "do", blocks=(FunctionDef((Param("i"),), body=(b,)),), parens=False
            ),
            children,
            children,
        ),
        small.map(Array),
        st.builds(lambda r, i, d: Index(r, (i,), d), children, children, st.booleans()),
        st.builds(
            lambda r, a, b, d: Slice(r, a, None, b, d), children, children, children, st.booleans()
        ),
        st.builds(lambda r, a, b: Slice(r, a, b, None), children, children, children),
        st.builds(BinaryOp, children, _operators, children, st.sampled_from(["x", "1", "-1"])),
        st.lists(children, min_size=2, max_size=2).map(
            lambda body: Call(None, "f", (Sequence(tuple(body)),), style="function")
        ),
        st.builds(lambda k, v: Array((KeyValue(k, v),)), st.sampled_from(["k", "freq"]), children),
        st.builds(lambda v: MultiAssign(("p", "q"), "r", v), children),
        st.builds(lambda r, v: Assign(Call(r, "width", parens=False), v), children, children),
        st.builds(lambda v: Call(None, "f", (Splat(v),), style="function"), children),
        children.map(Ref),
        st.builds(lambda n, v: Assign(n, v), _names, children),
        st.builds(lambda s, e: Series(s, None, e), children, children),
        st.builds(lambda k, v: Event((KeyValue(k, v),)), children, children),
        st.lists(children, min_size=2, max_size=3).map(lambda body: Paren(tuple(body))),
        st.lists(children, max_size=2).map(lambda body: FunctionDef(body=tuple(body))),
    )


_expressions = st.recursive(_leaves, _extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_expressions)
def test_printed_expressions_read_back_with_the_same_structure(expression: Node) -> None:
    program = Program(body=(expression,))
    printed = print_code(program)
    assert without_parens(parse(printed)) == without_parens(program), printed


def test_radix_literals_before_a_dot_are_parenthesised() -> None:
    assert print_code(Series(Number("16rFF"), None, Number("1"))) == "((16rFF)..1)"
    assert print_code(Call(Ref(Number("2r1")), "ar")) == "(`2r1).ar()"
    assert print_code(
        Call(Call(Number("1.0"), "sum3rand", parens=False), "postln", parens=False)
    ) == ("1.0.sum3rand.postln")
