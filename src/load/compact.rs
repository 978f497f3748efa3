//! The parse cache's encoding: compact JSON in which a struct is written as
//! the list of its field values, in declaration order, without the field
//! names (serde_json reads such a list back into the struct, as its derive
//! accepts a sequence). Maps (`BTreeMap`, `serde_json::Value` objects) keep
//! their keys, so a flattened map still reads back. Leaving the names out
//! makes the cache about a quarter smaller and cheaper to write and read.
//! A field skipped on a condition would shift the positions, so it makes
//! the encoding fail (the file is then just not cached); no stored type
//! has one. Strings are scanned eight bytes at a time for the characters
//! JSON escapes, with serde_json's escapes.

use serde::Serialize;
use serde::ser::{self, Error as _};

/// serde_json's error type: it reads what this writes.
pub type Error = serde_json::Error;

/// `value` encoded as described in the module documentation.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut w = Writer {
        out: Vec::with_capacity(4096),
    };
    value.serialize(&mut w)?;
    Ok(w.out)
}

struct Writer {
    out: Vec<u8>,
}

/// An integer, as serde_json writes it.
fn integer(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether a byte of the word is below 0x20, `"` or `\`. Exact: a borrow
/// from a matching byte can only mark the bytes above it.
fn word_needs_escape(x: u64) -> bool {
    let below_space = x.wrapping_sub(ONES * 0x20) & !x;
    let q = x ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let b = x ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (below_space | quote | backslash) & HIGH != 0
}

/// What a byte is written as inside a string: 0 for itself, else the
/// letter after `\` (`u` for `\u00XX`).
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// `s` as a JSON string, quotes included.
fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8) {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(word);
            if !word_needs_escape(u64::from_le_bytes(buf)) {
                i += 8;
                continue;
            }
        }
        let end = (i + 8).min(bytes.len());
        while i < end {
            let b = bytes[i];
            let e = ESCAPE[usize::from(b)];
            if e != 0 {
                out.extend_from_slice(&bytes[run..i]);
                if e == b'u' {
                    out.extend_from_slice(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(b >> 4)],
                        HEX[usize::from(b & 0xf)],
                    ]);
                } else {
                    out.extend_from_slice(&[b'\\', e]);
                }
                run = i + 1;
            }
            i += 1;
        }
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

/// A list or map being written: whether a comma goes before the next item.
struct Compound<'w> {
    w: &'w mut Writer,
    first: bool,
    /// What closes it: `]`, `}`, or `]}` for an enum variant's value.
    close: &'static [u8],
}

impl Compound<'_> {
    fn comma(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.w.out.push(b',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.w)
    }

    fn close(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(self.close);
        Ok(())
    }
}

macro_rules! integer {
    ($($name:ident: $t:ty),*) => {$(
        fn $name(self, v: $t) -> Result<(), Error> {
            integer(&mut self.out, v);
            Ok(())
        }
    )*};
}

impl Writer {
    fn open(&mut self, open: &[u8], close: &'static [u8]) -> Compound<'_> {
        self.out.extend_from_slice(open);
        Compound {
            w: self,
            first: true,
            close,
        }
    }

    /// `{"variant":` before an enum variant's value.
    fn variant(&mut self, variant: &str) {
        self.out.push(b'{');
        write_str(&mut self.out, variant);
        self.out.push(b':');
    }
}

impl<'w> ser::Serializer for &'w mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w>;
    type SerializeTuple = Compound<'w>;
    type SerializeTupleStruct = Compound<'w>;
    type SerializeTupleVariant = Compound<'w>;
    type SerializeMap = Compound<'w>;
    type SerializeStruct = Compound<'w>;
    type SerializeStructVariant = Compound<'w>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    integer!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );

    // Numbers with a fraction are rare here: serde_json writes them, so
    // they read back exactly.
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        serde_json::to_writer(&mut self.out, &v)
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        serde_json::to_writer(&mut self.out, &v)
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0u8; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(&mut self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = self.open(b"[", b"]");
        for b in v {
            seq.element(b)?;
        }
        seq.close()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'w>, Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'w>, Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'w>, Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w>, Error> {
        self.variant(variant);
        Ok(self.open(b"[", b"]}"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'w>, Error> {
        Ok(self.open(b"{", b"}"))
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'w>, Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w>, Error> {
        self.variant(variant);
        Ok(self.open(b"[", b"]}"))
    }
}

/// The sequence-like traits: each item is a value after a comma.
macro_rules! list_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

list_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(MapKey {
            out: &mut self.w.out,
        })
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.w.out.push(b':');
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// A field skipped on a condition would shift the positions after it.
fn skipped() -> Error {
    Error::custom("a struct field was skipped: positions would shift")
}

/// The struct-like traits: values only, in field order.
macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                _key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.element(value)
            }
            fn skip_field(&mut self, _key: &'static str) -> Result<(), Error> {
                Err(skipped())
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

struct_like!(SerializeStruct, SerializeStructVariant);

/// A map key: JSON keys are strings, so numbers and booleans are quoted (as
/// serde_json writes and reads them) and anything else is an error.
struct MapKey<'a> {
    out: &'a mut Vec<u8>,
}

fn not_a_key() -> Error {
    Error::custom("key must be a string")
}

macro_rules! quoted {
    ($($name:ident: $t:ty),*) => {$(
        fn $name(self, v: $t) -> Result<(), Error> {
            self.out.push(b'"');
            integer(self.out, v);
            self.out.push(b'"');
            Ok(())
        }
    )*};
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0u8; 4]))
    }
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }
    quoted!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );
    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_a_key())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_a_key())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_a_key())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};
    use serde_json::Value;

    use super::to_vec;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            "[\\x00-\\x7f]{0,40}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[\\x00-\\x7f]{0,12}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Shape {
        Unit,
        New(String),
        Tuple(u32, Option<String>),
        Fields { a: Vec<u8>, b: f32 },
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Record {
        name: String,
        count: u64,
        shape: Shape,
        shapes: Vec<Shape>,
        extra: Option<Box<Record>>,
        #[serde(flatten)]
        rest: std::collections::BTreeMap<String, Value>,
    }

    fn shape() -> impl Strategy<Value = Shape> {
        prop_oneof![
            Just(Shape::Unit),
            any::<String>().prop_map(Shape::New),
            (any::<u32>(), any::<Option<String>>()).prop_map(|(n, s)| Shape::Tuple(n, s)),
            (
                any::<Vec<u8>>(),
                any::<f32>().prop_filter("finite", |f| f.is_finite())
            )
                .prop_map(|(a, b)| Shape::Fields { a, b }),
        ]
    }

    proptest! {
        /// Without structs the bytes are serde_json's own, escapes included.
        #[test]
        fn a_json_value_is_written_as_serde_json_writes_it(v in json()) {
            prop_assert_eq!(to_vec(&v).ok(), serde_json::to_vec(&v).ok());
        }

        /// Structs, as lists of values, read back through serde_json.
        #[test]
        fn structs_and_enums_read_back(
            name in any::<String>(),
            count in any::<u64>(),
            s in shape(),
            shapes in prop::collection::vec(shape(), 0..4),
            inner in any::<String>(),
            rest in prop::collection::btree_map("x[a-z]{0,6}", json(), 0..3),
        ) {
            let r = Record {
                name,
                count,
                shape: s,
                shapes,
                extra: Some(Box::new(Record {
                    name: inner,
                    count: 0,
                    shape: Shape::Unit,
                    shapes: Vec::new(),
                    extra: None,
                    rest: Default::default(),
                })),
                rest,
            };
            let bytes = to_vec(&r).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back: Record = serde_json::from_slice(&bytes)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, r);
        }
    }

    #[test]
    fn a_field_skipped_on_a_condition_fails_the_encoding() {
        #[derive(Serialize)]
        struct Skips {
            #[serde(skip_serializing_if = "Option::is_none")]
            a: Option<u8>,
            b: u8,
        }
        assert!(to_vec(&Skips { a: Some(1), b: 2 }).is_ok());
        assert!(to_vec(&Skips { a: None, b: 2 }).is_err());
    }
}
