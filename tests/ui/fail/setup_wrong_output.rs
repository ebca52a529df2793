use loadspec::prelude::*;

struct NotShareable(std::rc::Rc<u32>);

#[setup]
async fn seed(_user: &mut User) -> Result<NotShareable, Failure> {
    Ok(NotShareable(std::rc::Rc::new(1)))
}

fn main() {}
