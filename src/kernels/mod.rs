//! Native element operations: the kernels traced map functions run without Python.

pub mod arithmetic;
pub mod cast;
pub mod color;
pub mod crop_box;
pub mod crop_resize;
pub mod csv;
pub mod decode;
pub mod encode;
pub mod graph;
pub mod image;
mod number_text;
pub mod one_hot;
pub mod random;
pub mod re2;
pub mod rearrange;
pub mod reduce;
pub mod resize;
pub mod sampling;
mod scalar;
pub mod shape;
pub mod slice;
pub mod string_reduce;
pub mod strings;
pub mod unary;

/// The value `name` stands for in a table of names, as traced graphs name operations.
pub fn by_name<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table
        .iter()
        .find(|(known, _)| *known == name)
        .map(|&(_, value)| value)
}
