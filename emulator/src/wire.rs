//! Decoding of RPC-style requests: query string and `application/x-www-form-urlencoded` body
//! merged into one parameter list, plus the headers the V3 signature reads.

use std::collections::BTreeMap;

use hyper::header::{HeaderMap, CONTENT_TYPE};

/// The product an RPC request addresses, chosen by its `Version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    Ram,
    Sts,
}

impl Product {
    /// RAM's API version.
    pub const RAM_VERSION: &'static str = "2015-05-01";
    /// STS's API version.
    pub const STS_VERSION: &'static str = "2015-04-01";

    /// The product a `Version` value selects.
    pub fn from_version(version: &str) -> Option<Self> {
        match version {
            Self::RAM_VERSION => Some(Product::Ram),
            Self::STS_VERSION => Some(Product::Sts),
            _ => None,
        }
    }

    /// The `HostId` the real service answers with.
    pub fn host_id(self) -> &'static str {
        match self {
            Product::Ram => "ram.aliyuncs.com",
            Product::Sts => "sts.aliyuncs.com",
        }
    }
}

/// Response encoding the caller asked for with `Format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// One decoded RPC request.
#[derive(Debug, Clone)]
pub struct RpcRequest {
    pub method: String,
    pub path: String,
    /// Decoded query parameters, in arrival order.
    pub query: Vec<(String, String)>,
    /// Decoded form-body parameters, in arrival order.
    pub form: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RpcRequest {
    /// Builds a request from its parts; the body is read as a form when its content type says so.
    pub fn new(
        method: &str,
        path: &str,
        raw_query: Option<&str>,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Self {
        let query = raw_query.map(parse_form).unwrap_or_default();
        let form = if is_form(&headers) {
            parse_form_bytes(&body)
        } else {
            Vec::new()
        };
        RpcRequest {
            method: method.to_string(),
            path: path.to_string(),
            query,
            form,
            headers,
            body,
        }
    }

    /// Every parameter, query first then body; signatures cover all of them.
    pub fn all_params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query
            .iter()
            .chain(self.form.iter())
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Parameters by name; the first occurrence wins.
    pub fn params(&self) -> Params {
        let mut map = BTreeMap::new();
        for (k, v) in self.all_params() {
            map.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
        Params(map)
    }

    /// A header as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The action: the V3 `x-acs-action` header, else the `Action` parameter.
    pub fn action(&self) -> Option<String> {
        self.header("x-acs-action")
            .map(str::to_string)
            .or_else(|| self.params().get("Action").map(str::to_string))
            .filter(|a| !a.is_empty())
    }

    /// The version: the V3 `x-acs-version` header, else the `Version` parameter.
    pub fn version(&self) -> Option<String> {
        self.header("x-acs-version")
            .map(str::to_string)
            .or_else(|| self.params().get("Version").map(str::to_string))
            .filter(|v| !v.is_empty())
    }

    /// The response format: XML only when `Format=XML` was asked for.
    pub fn format(&self) -> Format {
        match self.params().get("Format") {
            Some(f) if f.eq_ignore_ascii_case("xml") => Format::Xml,
            _ => Format::Json,
        }
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
        .unwrap_or(false)
}

fn parse_form(s: &str) -> Vec<(String, String)> {
    parse_form_bytes(s.as_bytes())
}

fn parse_form_bytes(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Request parameters by name, with typed accessors that produce API errors.
#[derive(Debug, Clone, Default)]
pub struct Params(pub BTreeMap<String, String>);

impl Params {
    /// The value of `name`, if present (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value of `name` when present and non-empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// The value of `name`, or `MissingParameter`.
    pub fn required(&self, name: &str) -> Result<&str, crate::error::ApiError> {
        self.non_empty(name)
            .ok_or_else(|| crate::error::ApiError::missing_parameter(name))
    }

    /// A boolean parameter (`true`/`false`, case-insensitive), `default` when absent.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, crate::error::ApiError> {
        match self.non_empty(name) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(crate::error::ApiError::invalid_parameter(
                name,
                "must be true or false",
            )),
        }
    }

    /// An integer parameter, `None` when absent.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, crate::error::ApiError> {
        match self.non_empty(name) {
            None => Ok(None),
            Some(v) => {
                v.trim().parse::<i64>().map(Some).map_err(|_| {
                    crate::error::ApiError::invalid_parameter(name, "must be an integer")
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn form_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        h
    }

    #[test]
    fn merges_query_and_form() {
        let req = RpcRequest::new(
            "POST",
            "/",
            Some("Action=GetRole&Version=2015-05-01"),
            form_headers(),
            b"RoleName=a%20b&Description=x+y".to_vec(),
        );
        let p = req.params();
        assert_eq!(p.get("Action"), Some("GetRole"));
        assert_eq!(p.get("RoleName"), Some("a b"));
        assert_eq!(p.get("Description"), Some("x y"));
        assert_eq!(req.all_params().count(), 4);
        assert_eq!(req.action().as_deref(), Some("GetRole"));
        assert_eq!(req.format(), Format::Json);
    }

    #[test]
    fn ignores_non_form_body() {
        let req = RpcRequest::new("POST", "/", None, HeaderMap::new(), b"RoleName=x".to_vec());
        assert!(req.params().get("RoleName").is_none());
        assert_eq!(req.action(), None);
    }

    #[test]
    fn typed_accessors() {
        let req = RpcRequest::new(
            "GET",
            "/",
            Some("A=true&B=maybe&C=12&D=x&Format=xml"),
            HeaderMap::new(),
            Vec::new(),
        );
        let p = req.params();
        assert_eq!(p.bool_or("A", false), Ok(true));
        assert!(p.bool_or("B", false).is_err());
        assert_eq!(p.bool_or("Z", true), Ok(true));
        assert_eq!(p.integer("C"), Ok(Some(12)));
        assert!(p.integer("D").is_err());
        assert_eq!(
            p.required("Z").map_err(|e| e.code),
            Err("MissingParameter".into())
        );
        assert_eq!(req.format(), Format::Xml);
    }

    #[test]
    fn product_by_version() {
        assert_eq!(Product::from_version("2015-05-01"), Some(Product::Ram));
        assert_eq!(Product::from_version("2015-04-01"), Some(Product::Sts));
        assert_eq!(Product::from_version("2014-05-26"), None);
    }
}
