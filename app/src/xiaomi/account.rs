//! The Xiaomi account sign-in, as the independent clients do it (peers README §6.1):
//! serviceLogin for the `_sign`, serviceLoginAuth2 with the password's MD5, then the sts
//! location that sets the service token. On the way the cloud may ask for a captcha (its
//! image comes with an `ick` cookie the retry must carry) or for identity verification by
//! e-mail or phone (identity/list, send a ticket, verify it, follow the redirects, of which
//! one carries `ssecurity` in its `extension-pragma` header). A saved passToken signs in
//! again without the password when the service token expires.

use super::crypto::password_hash;
use super::http::{CloudError, CloudResult, Http, Reply};
use super::store::XiaomiSession;
use serde_json::Value;

const SID: &str = "xiaomiio";
/// Redirects followed at most after identity verification.
const MAX_HOPS: usize = 10;

/// How the second factor is delivered.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Factor {
    Email,
    Phone,
}

impl Factor {
    fn word(self) -> &'static str {
        match self {
            Factor::Email => "Email",
            Factor::Phone => "Phone",
        }
    }
    fn flag(self) -> u8 {
        match self {
            Factor::Email => 8,
            Factor::Phone => 4,
        }
    }
}

/// A sign-in waiting for the user.
#[derive(Clone)]
pub enum Pending {
    Captcha {
        login: Login,
        /// The captcha's path on the account host, and the cookie its image came with.
        captcha_url: String,
        ick: String,
    },
    Verify {
        login: Login,
        factor: Factor,
        /// The origin that issued the identity session, and its cookie.
        origin: String,
        identity_session: String,
    },
}

impl Pending {
    pub fn login(&self) -> &Login {
        match self {
            Pending::Captcha { login, .. } | Pending::Verify { login, .. } => login,
        }
    }
}

/// What a sign-in step leads to.
pub enum Step {
    Done(XiaomiSession),
    Captcha { pending: Pending, image: Vec<u8> },
    Verify { pending: Pending, masked: String },
}

/// The fixed parts of one sign-in.
#[derive(Clone)]
pub struct Login {
    pub account_url: String,
    pub username: String,
    pub region: String,
    hash: String,
    device_id: String,
    sign: String,
    qs: String,
    callback: String,
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn id_of(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn code_of(v: &Value) -> i64 {
    v.get("code").and_then(Value::as_i64).unwrap_or(-1)
}

fn join(base: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        path.to_string()
    } else {
        format!("{}{path}", base.trim_end_matches('/'))
    }
}

impl Login {
    fn base_cookies(&self) -> Vec<(&str, &str)> {
        vec![
            ("sdkVersion", "accountsdk-18.8.15"),
            ("deviceId", &self.device_id),
        ]
    }
}

/// Starts a sign-in with a password.
pub async fn start(
    http: &Http,
    account_url: &str,
    username: &str,
    password: &str,
    region: &str,
) -> CloudResult<Step> {
    let mut login = service_login(http, account_url, username, region).await?;
    login.hash = password_hash(password);
    auth2(http, login, None).await
}

/// The login captcha the account service hands out before any password (what its web page
/// shows); the sign-in continues with `answer_captcha` and the password.
const LOGIN_CAPTCHA: &str = "/pass/getCode?icodeType=login";

/// A captcha for `username` with no sign-in started (the reference's `POST /captcha` then
/// `POST /verify` with the password): the password comes with the answer.
pub async fn captcha_for(
    http: &Http,
    account_url: &str,
    username: &str,
    region: &str,
) -> CloudResult<Step> {
    let login = service_login(http, account_url, username, region).await?;
    fetch_captcha(http, login, LOGIN_CAPTCHA).await
}

/// serviceLogin: the signature and callback a sign-in posts back (no password yet).
async fn service_login(
    http: &Http,
    account_url: &str,
    username: &str,
    region: &str,
) -> CloudResult<Login> {
    let device_id: String = (0..16)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rand::random_range(0..36)]))
        .collect();
    let url = join(
        account_url,
        &format!("/pass/serviceLogin?sid={SID}&_json=true"),
    );
    let reply = http
        .get(
            &url,
            &[
                ("sdkVersion", "accountsdk-18.8.15"),
                ("deviceId", &device_id),
                ("userId", username),
            ],
        )
        .await?;
    let v = reply.account_json()?;
    let sign = str_of(&v, "_sign");
    if sign.is_empty() {
        return Err(CloudError::Malformed("serviceLogin gave no _sign".into()));
    }
    Ok(Login {
        account_url: account_url.to_string(),
        username: username.to_string(),
        region: region.to_string(),
        hash: String::new(),
        device_id,
        sign: sign.to_string(),
        qs: str_of(&v, "qs").to_string(),
        callback: str_of(&v, "callback").to_string(),
    })
}

/// serviceLoginAuth2, with a captcha answer when there is one.
async fn auth2(http: &Http, login: Login, captcha: Option<(&str, &str)>) -> CloudResult<Step> {
    let mut form: Vec<(String, String)> = [
        ("sid", SID),
        ("hash", &login.hash),
        ("callback", &login.callback),
        ("qs", &login.qs),
        ("user", &login.username),
        ("_sign", &login.sign),
        ("_json", "true"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut cookies = login.base_cookies();
    if let Some((code, ick)) = captcha {
        form.push(("captCode".into(), code.to_string()));
        cookies.push(("ick", ick));
    }
    let url = join(&login.account_url, "/pass/serviceLoginAuth2");
    let v = http
        .post_form(&url, &cookies, &form, &[])
        .await?
        .account_json()?;
    let notification = str_of(&v, "notificationUrl");
    if !notification.is_empty() {
        return identity_start(http, login, notification).await;
    }
    let captcha_url = str_of(&v, "captchaUrl");
    if !captcha_url.is_empty() {
        return fetch_captcha(http, login, captcha_url).await;
    }
    match code_of(&v) {
        0 if !str_of(&v, "ssecurity").is_empty() => {
            let session = XiaomiSession {
                username: login.username.clone(),
                user_id: id_of(&v, "userId"),
                c_user_id: id_of(&v, "cUserId"),
                region: login.region.clone(),
                pass_token: str_of(&v, "passToken").to_string(),
                service_token: String::new(),
                ssecurity: str_of(&v, "ssecurity").to_string(),
            };
            Ok(Step::Done(
                service_token(http, session, str_of(&v, "location")).await?,
            ))
        }
        70016 | 70002 | 20003 => Err(CloudError::Rejected(
            "wrong account name or password".into(),
        )),
        87001 => Err(CloudError::Rejected("wrong captcha code".into())),
        code => Err(CloudError::Api {
            code,
            message: str_of(&v, "desc").chars().take(200).collect(),
        }),
    }
}

async fn fetch_captcha(http: &Http, login: Login, captcha_url: &str) -> CloudResult<Step> {
    let reply = http
        .get(
            &join(&login.account_url, captcha_url),
            &login.base_cookies(),
        )
        .await?;
    let ick = reply
        .cookie("ick")
        .ok_or_else(|| CloudError::Malformed("the captcha came without its ick cookie".into()))?
        .to_string();
    if reply.status != 200 || reply.body.is_empty() {
        return Err(CloudError::Malformed(format!(
            "the captcha image: HTTP {}",
            reply.status
        )));
    }
    let image = reply.body;
    Ok(Step::Captcha {
        pending: Pending::Captcha {
            login,
            captcha_url: captcha_url.to_string(),
            ick,
        },
        image,
    })
}

/// A fresh captcha image for a sign-in that waits for one.
pub async fn new_captcha(http: &Http, pending: &Pending) -> CloudResult<Step> {
    match pending {
        Pending::Captcha {
            login, captcha_url, ..
        } => fetch_captcha(http, login.clone(), captcha_url).await,
        Pending::Verify { .. } => Err(CloudError::Rejected(
            "this sign-in waits for a verification code, not a captcha".into(),
        )),
    }
}

/// Whether this sign-in still needs the password (a captcha fetched before any password).
pub fn needs_password(pending: &Pending) -> bool {
    matches!(pending, Pending::Captcha { login, .. } if login.hash.is_empty())
}

/// Answers the captcha: the sign-in goes on (it may still ask for verification). `password`
/// is used only by a sign-in that has none yet (`needs_password`).
pub async fn answer_captcha(
    http: &Http,
    pending: Pending,
    code: &str,
    password: Option<&str>,
) -> CloudResult<Step> {
    match pending {
        Pending::Captcha { mut login, ick, .. } => {
            if login.hash.is_empty() {
                let pw = password.ok_or_else(|| {
                    CloudError::Rejected("this captcha came before a password: give it".into())
                })?;
                login.hash = password_hash(pw);
            }
            auth2(http, login, Some((code, &ick))).await
        }
        Pending::Verify { .. } => Err(CloudError::Rejected(
            "this sign-in waits for a verification code, not a captcha".into(),
        )),
    }
}

fn origin_of(url: &str) -> CloudResult<String> {
    let u = url::Url::parse(url).map_err(|_| CloudError::Malformed(format!("not a URL: {url}")))?;
    Ok(u.origin().ascii_serialization())
}

/// Identity verification: which factor, its masked address, and the code sent to it.
async fn identity_start(http: &Http, login: Login, notification: &str) -> CloudResult<Step> {
    let notification = join(&login.account_url, notification);
    let list_url = notification
        .replace("/fe/service/identity/authStart", "/identity/list")
        .replace("/identity/authStart", "/identity/list");
    let reply = http.get(&list_url, &login.base_cookies()).await?;
    let identity_session = reply
        .cookie("identity_session")
        .ok_or_else(|| CloudError::Malformed("identity/list set no identity_session".into()))?
        .to_string();
    let v = reply.account_json()?;
    let flag = v.get("flag").and_then(Value::as_i64).unwrap_or(0);
    let factor = match flag {
        8 => Factor::Email,
        4 => Factor::Phone,
        other => {
            return Err(CloudError::Malformed(format!(
                "identity/list offers factor {other}, not e-mail or phone"
            )));
        }
    };
    let origin = origin_of(&list_url)?;
    let mut cookies = login.base_cookies();
    cookies.push(("identity_session", &identity_session));
    let w = factor.word();
    let url = format!(
        "{origin}/identity/auth/verify{w}?_flag={}&_json=true",
        factor.flag()
    );
    let masked_v = http.get(&url, &cookies).await?.account_json()?;
    let masked = str_of(&masked_v, &format!("masked{w}")).to_string();
    let form = [("retry", "0"), ("icode", ""), ("_json", "true")]
        .map(|(k, v)| (k.to_string(), v.to_string()));
    let sent = http
        .post_form(
            &format!("{origin}/identity/auth/send{w}Ticket"),
            &cookies,
            &form,
            &[],
        )
        .await?
        .account_json()?;
    if code_of(&sent) != 0 {
        return Err(CloudError::Api {
            code: code_of(&sent),
            message: format!("sending the verification code: {}", str_of(&sent, "tips")),
        });
    }
    Ok(Step::Verify {
        pending: Pending::Verify {
            login,
            factor,
            origin,
            identity_session,
        },
        masked,
    })
}

/// Answers identity verification with the code the user received.
pub async fn answer_verification(http: &Http, pending: Pending, code: &str) -> CloudResult<Step> {
    let Pending::Verify {
        login,
        factor,
        origin,
        identity_session,
    } = pending
    else {
        return Err(CloudError::Rejected(
            "this sign-in waits for a captcha, not a verification code".into(),
        ));
    };
    let mut cookies = login.base_cookies();
    cookies.push(("identity_session", &identity_session));
    let w = factor.word();
    let ticket: String = url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
    let url = format!(
        "{origin}/identity/auth/verify{w}?_flag={}&ticket={ticket}&trust=false&_json=true",
        factor.flag()
    );
    let v = http
        .post_form(&url, &cookies, &[], &[])
        .await?
        .account_json()?;
    let location = str_of(&v, "location");
    if code_of(&v) != 0 || location.is_empty() {
        return Err(CloudError::Rejected("wrong verification code".into()));
    }
    let mut session = XiaomiSession {
        username: login.username.clone(),
        user_id: String::new(),
        c_user_id: String::new(),
        region: login.region.clone(),
        pass_token: String::new(),
        service_token: String::new(),
        ssecurity: String::new(),
    };
    let mut next = join(&origin, location);
    for _ in 0..MAX_HOPS {
        let reply = http.get(&next, &login.base_cookies()).await?;
        absorb(&mut session, &reply);
        if !session.service_token.is_empty() {
            break;
        }
        match reply.header("location") {
            Some(loc) if (300..400).contains(&reply.status) => next = join(&origin_of(&next)?, loc),
            _ => break,
        }
    }
    if session.ssecurity.is_empty()
        || session.service_token.is_empty()
        || session.user_id.is_empty()
    {
        return Err(CloudError::Malformed(
            "verification succeeded but the redirects gave no service token".into(),
        ));
    }
    Ok(Step::Done(session))
}

/// Takes what a hop carries: `ssecurity` (and ids) in `extension-pragma`, tokens in cookies.
fn absorb(s: &mut XiaomiSession, reply: &Reply) {
    if let Some(p) = reply.header("extension-pragma")
        && let Ok(v) = serde_json::from_str::<Value>(p)
        && !str_of(&v, "ssecurity").is_empty()
    {
        s.ssecurity = str_of(&v, "ssecurity").to_string();
    }
    for (name, slot) in [
        ("passToken", &mut s.pass_token),
        ("userId", &mut s.user_id),
        ("cUserId", &mut s.c_user_id),
        ("serviceToken", &mut s.service_token),
    ] {
        if let Some(v) = reply.cookie(name) {
            *slot = v.to_string();
        }
    }
}

/// The sts step: the location sets the service token.
async fn service_token(
    http: &Http,
    mut s: XiaomiSession,
    location: &str,
) -> CloudResult<XiaomiSession> {
    if location.is_empty() {
        return Err(CloudError::Malformed("the sign-in gave no location".into()));
    }
    let reply = http.get(location, &[]).await?;
    if reply.status >= 400 {
        return Err(CloudError::Malformed(format!(
            "the sts step answered HTTP {}",
            reply.status
        )));
    }
    absorb(&mut s, &reply);
    if s.service_token.is_empty() || s.user_id.is_empty() {
        return Err(CloudError::Malformed(format!(
            "the sts step (HTTP {}) set no service token",
            reply.status
        )));
    }
    Ok(s)
}

/// Signs in again with the saved passToken (when the service token has expired).
pub async fn renew(
    http: &Http,
    account_url: &str,
    s: &XiaomiSession,
) -> CloudResult<XiaomiSession> {
    if s.pass_token.is_empty() {
        return Err(CloudError::Expired);
    }
    let url = join(
        account_url,
        &format!("/pass/serviceLogin?sid={SID}&_json=true"),
    );
    let cookies = [
        ("sdkVersion", "accountsdk-18.8.15"),
        ("userId", s.user_id.as_str()),
        ("passToken", s.pass_token.as_str()),
    ];
    let v = http.get(&url, &cookies).await?.account_json()?;
    if code_of(&v) != 0 || str_of(&v, "ssecurity").is_empty() {
        return Err(CloudError::Expired);
    }
    let mut next = s.clone();
    next.ssecurity = str_of(&v, "ssecurity").to_string();
    next.service_token.clear();
    service_token(http, next, str_of(&v, "location")).await
}
