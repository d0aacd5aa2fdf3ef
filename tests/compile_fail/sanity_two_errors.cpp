// Harness check: two deliberate failures, so the one-error check must reject this case
// (compile_fail.sanity_two_errors is registered WILL_FAIL).
template <int Value>
consteval int deliberate_check() {
    static_assert(Value == 0, "ctnn compile_fail harness: deliberate failure");
    return Value;
}

#ifdef CTNN_CF_FAIL
constexpr int first = deliberate_check<1>();
constexpr int second = deliberate_check<2>();
#else
constexpr int first = deliberate_check<0>();
constexpr int second = deliberate_check<0>();
#endif
static_assert(first + second >= 0);
