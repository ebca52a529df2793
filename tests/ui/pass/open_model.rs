// Open-model options reach the registry as iterations per second.
use loadspec::prelude::*;

#[scenario(rate = ["50/s", "6000/m"], max_users = 300, pre_allocated_users = 20, hold = "30s")]
#[assertion(dropped = "1%", threshold = "5%")]
async fn arrivals(_user: &mut User) -> Result<(), Failure> {
    Ok(())
}

#[scenario(rate = "200/s")]
async fn constant(_user: &mut User) -> Result<(), Failure> {
    Ok(())
}

fn main() {
    let entries: Vec<_> =
        ::loadspec::__private::inventory::iter::<::loadspec::__private::ScenarioEntry>
            .into_iter()
            .collect();
    let arrivals = entries.iter().find(|e| e.name == "arrivals").unwrap();
    assert_eq!(arrivals.options.rates, Some(&[50.0, 100.0][..]));
    assert_eq!(arrivals.options.max_users, Some(300));
    assert_eq!(arrivals.options.pre_allocated_users, Some(20));
    assert_eq!(arrivals.options.criteria[0].target, 0.01);
    let constant = entries.iter().find(|e| e.name == "constant").unwrap();
    assert_eq!(constant.options.rates, Some(&[200.0][..]));
}
