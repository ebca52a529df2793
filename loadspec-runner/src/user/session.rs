//! A virtual user's HTTP session: default headers (e.g. a bearer token) and a cookie jar.
//!
//! Sessions are per user while the HTTP connection pool is per worker thread: a browser-like
//! session costs a few hundred bytes instead of a whole client per user.

use cookie_store::CookieStore;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderMap, HeaderName, HeaderValue, SET_COOKIE};

use super::failure::Failure;
use super::headers::ResponseHeaders;

/// Headers and cookies a user sends with every request.
#[derive(Debug, Default, Clone)]
pub struct Session {
    headers: Vec<(HeaderName, HeaderValue)>,
    // Created on the first Set-Cookie: most API users never receive one.
    cookies: Option<Box<CookieStore>>,
    graphql_path: Option<Box<str>>,
}

impl Session {
    /// Sends `Authorization: Bearer <token>` with every following request.
    pub fn bearer(&mut self, token: &str) -> Result<&mut Self, Failure> {
        let value = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
            Failure::check("the bearer token contains characters not allowed in a header")
        })?;
        self.set(AUTHORIZATION, value);
        Ok(self)
    }

    /// Sends `name: value` with every following request, replacing an earlier value.
    pub fn header(&mut self, name: &str, value: &str) -> Result<&mut Self, Failure> {
        let name = HeaderName::try_from(name)
            .map_err(|_| Failure::check(format!("{name:?} is not a valid header name")))?;
        let value = HeaderValue::try_from(value).map_err(|_| {
            Failure::check(format!(
                "the value of header {name} is not valid in a header"
            ))
        })?;
        self.set(name, value);
        Ok(self)
    }

    /// Where [`User::graphql`](super::User::graphql) sends its requests (default `/graphql`).
    pub fn set_graphql_path(&mut self, path: &str) -> &mut Self {
        self.graphql_path = Some(path.into());
        self
    }

    /// The GraphQL path.
    pub fn graphql_path(&self) -> &str {
        self.graphql_path.as_deref().unwrap_or("/graphql")
    }

    /// Stops sending the header `name`.
    pub fn remove_header(&mut self, name: &str) -> &mut Self {
        self.headers
            .retain(|(n, _)| !n.as_str().eq_ignore_ascii_case(name));
        self
    }

    /// Forgets every cookie (a logout, or a fresh browser).
    pub fn clear_cookies(&mut self) -> &mut Self {
        self.cookies = None;
        self
    }

    /// The value of a stored cookie, by name, for any domain and path.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .as_ref()?
            .iter_any()
            .find(|c| c.name() == name)
            .map(|c| c.value())
    }

    /// Stores cookie `name=value` for `url`'s host, path `/`.
    pub(crate) fn set_cookie(&mut self, url: &Url, name: &str, value: &str) -> Result<(), Failure> {
        let text = format!("{name}={value}; Path=/");
        let store = self.cookies.get_or_insert_with(Default::default);
        store
            .parse(&text, url)
            .map(|_| ())
            .map_err(|e| Failure::check(format!("cookie {name:?} cannot be stored: {e}")))
    }

    fn set(&mut self, name: HeaderName, value: HeaderValue) {
        match self.headers.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name, value)),
        }
    }

    /// Adds the session's headers (unless the request set its own) and matching cookies.
    pub(crate) fn apply(&self, url: &Url, headers: &mut HeaderMap) {
        for (name, value) in &self.headers {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        if let Some(cookie) = self.cookie_header(url) {
            headers.insert(COOKIE, cookie);
        }
    }

    /// The `Cookie` header the jar holds for `url`, if any.
    pub(crate) fn cookie_header(&self, url: &Url) -> Option<HeaderValue> {
        let store = self.cookies.as_ref()?;
        let mut cookie = String::new();
        for (name, value) in store.get_request_values(url) {
            if !cookie.is_empty() {
                cookie.push_str("; ");
            }
            cookie.push_str(name);
            cookie.push('=');
            cookie.push_str(value);
        }
        HeaderValue::try_from(cookie)
            .ok()
            .filter(|value| !value.is_empty())
    }

    /// Stores the response's cookies; malformed ones are ignored, as a browser would.
    pub(crate) fn store_cookies(&mut self, url: &Url, headers: &ResponseHeaders) {
        let mut set_cookies = headers.get_all(SET_COOKIE.as_str()).peekable();
        if set_cookies.peek().is_none() {
            return;
        }
        let store = self.cookies.get_or_insert_with(Default::default);
        for value in set_cookies {
            if let Ok(text) = std::str::from_utf8(value) {
                let _ignored_malformed = store.parse(text, url);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn bearer_and_headers_are_sent_unless_the_request_sets_its_own() {
        let mut session = Session::default();
        session
            .bearer("abc")
            .unwrap()
            .header("x-tenant", "7")
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-tenant", HeaderValue::from_static("9"));
        session.apply(&url("http://127.0.0.1/"), &mut headers);
        assert_eq!(headers[AUTHORIZATION], "Bearer abc");
        assert_eq!(headers["x-tenant"], "9");
        session.bearer("def").unwrap();
        session.remove_header("X-Tenant");
        let mut headers = HeaderMap::new();
        session.apply(&url("http://127.0.0.1/"), &mut headers);
        assert_eq!(headers[AUTHORIZATION], "Bearer def");
        assert!(!headers.contains_key("x-tenant"));
    }

    #[test]
    fn invalid_header_values_are_failures_not_panics() {
        let mut session = Session::default();
        assert!(session.bearer("a\nb").is_err());
        assert!(session.header("bad name", "x").is_err());
    }

    #[test]
    fn cookies_round_trip() {
        let mut session = Session::default();
        let site = url("http://127.0.0.1:8080/api/login");
        let mut response = HeaderMap::new();
        response.append(SET_COOKIE, HeaderValue::from_static("sid=42; Path=/"));
        response.append(SET_COOKIE, HeaderValue::from_static("=garbage"));
        session.store_cookies(&site, &response.into());
        assert_eq!(session.cookie("sid"), Some("42"));
        let mut headers = HeaderMap::new();
        session.apply(&url("http://127.0.0.1:8080/api/insurees"), &mut headers);
        assert_eq!(headers[COOKIE], "sid=42");
        session.clear_cookies();
        assert_eq!(session.cookie("sid"), None);
    }

    #[test]
    fn cookies_set_by_the_scenario_go_with_every_request_to_the_target() {
        let mut session = Session::default();
        let target = url("http://127.0.0.1:8000");
        session.set_cookie(&target, "csrftoken", "abc123").unwrap();
        let mut headers = HeaderMap::new();
        session.apply(&url("http://127.0.0.1:8000/api/graphql"), &mut headers);
        assert_eq!(headers[COOKIE], "csrftoken=abc123");
        assert_eq!(session.cookie("csrftoken"), Some("abc123"));
        assert!(session.set_cookie(&target, "", "x").is_err());
    }
}
