// The async-closure transaction API type-checks through the macro, in a crate that forbids
// unsafe code, with a non-`Send` value held across awaits (users run on thread-per-core workers).
#![forbid(unsafe_code)]

use std::rc::Rc;

use loadspec::prelude::*;

#[scenario(threads = [1, 5], profile = "ramp", ramp_up = "10s", hold = "30s")]
async fn login(user: &mut User) -> Result<(), Failure> {
    let local = Rc::new("x");
    user.transaction("login", async |tx| {
        tx.get("/x").send().await?.expect_status(200)?;
        tx.post("/login").header("x-local", &local).send().await?;
        Ok(())
    })
    .await?;
    let body = user
        .transaction("profile", async |tx: &mut Transaction<'_>| {
            let response = tx.get("/me").send().await?.expect_status(200)?;
            Ok(response.text()?.to_owned())
        })
        .await?;
    assert!(!body.is_empty() || local.len() == 1);
    user.pause(Duration::from_millis(1)).await;
    Ok(())
}

fn main() {}
