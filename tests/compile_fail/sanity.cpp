// Harness check: the failing variant trips a static_assert whose text and printed value are
// known, so compile_fail.sanity proves that a matching regex passes and that the user's
// numbers reach the output; compile_fail.sanity_wrong_value proves a mismatch does not pass.
template <int Value>
consteval int deliberate_check() {
    static_assert(Value == 0, "ctnn compile_fail harness: deliberate failure");
    return Value;
}

#ifdef CTNN_CF_FAIL
constexpr int checked = deliberate_check<42>();
#else
constexpr int checked = deliberate_check<0>();
#endif
static_assert(checked >= 0);
