use loadspec::prelude::*;

#[scenario(
    threads = [1, 5, 10, 30, 50, 100, 150, 300],
    profile = "ramp",
    ramp_up = "75s",
    warmup = "5s",
    hold = "1m 30s",
    cooldown = "10s",
    think_time = "500ms..2s",
    iterations = 3,
    tags = ["insuree", "smoke"],
    name = "insuree_flow_v2",
    ignore = true,
    hung_after = "30s",
    request_timeout = "10s",
    crate = ::loadspec,
)]
async fn insuree_flow(user: &mut User) -> Result<(), Failure> {
    user.get("/health").send().await?.expect_status(200)?;
    Ok(())
}

#[scenario(profile = "spike", think_time = "1s", ignore, threads = [7])]
async fn spike(_user: &mut User) {}

#[scenario(
    profile = "stress",
    ramp_up = "0s",
    hold = "0s",
    iterations = 1,
    ignore = false
)]
async fn stress(_user: &mut User) {}

fn main() {
    use loadspec::__private::{ProfileKind, ScenarioEntry, inventory};
    use std::time::Duration;

    let find = |name: &str| {
        inventory::iter::<ScenarioEntry>
            .into_iter()
            .find(|entry| entry.name == name)
            .unwrap_or_else(|| panic!("{name} is not registered"))
    };

    let flow = find("insuree_flow_v2");
    let o = &flow.options;
    assert_eq!(o.threads, Some(&[1, 5, 10, 30, 50, 100, 150, 300][..]));
    assert_eq!(o.profile, Some(ProfileKind::Ramp));
    assert_eq!(o.ramp_up, Some(Duration::from_secs(75)));
    assert_eq!(o.warmup, Some(Duration::from_secs(5)));
    assert_eq!(o.hold, Some(Duration::from_secs(90)));
    assert_eq!(o.cooldown, Some(Duration::from_secs(10)));
    assert_eq!(
        o.think_time,
        Some((Duration::from_millis(500), Duration::from_secs(2)))
    );
    assert_eq!(o.iterations, Some(3));
    assert_eq!(o.tags, ["insuree", "smoke"]);
    assert!(o.ignore);
    assert_eq!(o.hung_after, Some(Duration::from_secs(30)));
    assert_eq!(o.request_timeout, Some(Duration::from_secs(10)));
    assert_eq!(flow.module_path, module_path!());
    assert!(flow.file.ends_with("all_options.rs"), "{}", flow.file);
    assert_eq!(flow.line, 19);

    let spike = find("spike");
    assert_eq!(spike.options.profile, Some(ProfileKind::Spike));
    assert_eq!(
        spike.options.think_time,
        Some((Duration::from_secs(1), Duration::from_secs(1)))
    );
    assert_eq!(spike.options.threads, Some(&[7][..]));
    assert!(spike.options.ignore);
    assert_eq!(spike.line, 25);

    let stress = find("stress");
    assert_eq!(stress.options.profile, Some(ProfileKind::Stress));
    assert_eq!(stress.options.ramp_up, Some(Duration::ZERO));
    assert_eq!(stress.options.hold, Some(Duration::ZERO));
    assert_eq!(stress.options.warmup, None, "not written, not set");
    assert_eq!(stress.options.iterations, Some(1));
    assert!(!stress.options.ignore);
    assert_eq!(stress.options.tags, [] as [&str; 0]);
}
