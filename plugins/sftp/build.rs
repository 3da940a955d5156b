//! Release builds place the code a sync runs first (link-order/src/lib.rs says why).
fn main() {
    ferry_link_order::apply();
}
