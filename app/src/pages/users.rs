//! Users (TenantAdmins only, SPEC §1, §4.3): add by invite link, change permission and
//! external id, deactivate or activate, issue a password-reset link.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    accounts::{OneTimeLink, Role, UserStatus, UserSummary},
    api::accounts::{list_users, InviteUser, PasswordResetLink, SetUserActive, UpdateUser},
    components::{
        form::{field_message, form_message, FormAlert, TextField},
        require_admin::RequireAdmin,
    },
    error::AppError,
};

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <Title text="Users"/>
        <RequireAdmin>
            <UsersScreen/>
        </RequireAdmin>
    }
}

#[component]
fn UsersScreen() -> impl IntoView {
    let invite = ServerAction::<InviteUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let set_active = ServerAction::<SetUserActive>::new();
    let reset = ServerAction::<PasswordResetLink>::new();
    let users = Resource::new(
        move || {
            (
                invite.version().get(),
                update.version().get(),
                set_active.version().get(),
            )
        },
        |_| list_users(),
    );
    let row_error = Signal::derive(move || {
        [update.value().get(), set_active.value().get()]
            .into_iter()
            .flatten()
            .find_map(|result| result.err().map(|error| error.to_string()))
    });
    view! {
        <div class="page-header">
            <h1>"Users"</h1>
        </div>
        <InviteForm action=invite/>
        <LinkNotice result=reset.value() what="Password-reset link"/>
        <FormAlert message=row_error/>
        <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! { <UsersTable list update set_active reset/> }.into_any(),
                    Err(error) => view! { <p class="form-alert" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Shows a one-time link the admin has to hand over, or the error that replaced it.
#[component]
fn LinkNotice(
    #[prop(into)] result: Signal<Option<Result<OneTimeLink, AppError>>>,
    what: &'static str,
) -> impl IntoView {
    move || {
        result.get().map(|result| match result {
            Ok(link) => view! {
                <div class="notice" role="status">
                    <p><strong>{what}</strong> " — copy it and give it to the person. It works once, until " {link.expires_at} "."</p>
                    <input class="one-time-value" readonly aria-label=what prop:value=link.url/>
                </div>
            }
            .into_any(),
            Err(error) => view! { <p class="form-alert" role="alert">{error.to_string()}</p> }.into_any(),
        })
    }
}

fn role_options(selected: Role) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|role| {
            view! { <option value=role.as_str() selected=role == selected>{role.label()}</option> }
        })
        .collect_view()
}

#[component]
fn InviteForm(action: ServerAction<InviteUser>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let external_id = RwSignal::new(String::new());
    let role = RwSignal::new(Role::UseWebhooks);
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        action.dispatch(InviteUser {
            email: email.get_untracked(),
            display_name: name.get_untracked(),
            role: role.get_untracked(),
            external_id: external_id.get_untracked(),
        });
    };
    view! {
        <section class="panel" aria-labelledby="invite-title">
            <h2 id="invite-title">"Add a user"</h2>
            <form on:submit=submit class="inline-form">
                <TextField label="E-mail address" name="email" kind="email" value=email
                    message=Signal::derive(move || field_message(error.get(), "/email"))/>
                <TextField label="Name" name="display_name" value=name
                    message=Signal::derive(move || field_message(error.get(), "/displayName"))/>
                <div class="field">
                    <label for="role">"Permission"</label>
                    <select id="role" on:change=move |event| {
                        if let Some(chosen) = Role::parse(&event_target_value(&event)) {
                            role.set(chosen);
                        }
                    }>
                        {role_options(Role::UseWebhooks)}
                    </select>
                </div>
                <TextField label="External id" name="external_id" required=false value=external_id
                    hint="The id your publishing system uses for this person (optional)."
                    message=Signal::derive(move || field_message(error.get(), "/externalId"))/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Add user"
                </button>
            </form>
            <FormAlert message=Signal::derive(move || form_message(error.get(), &["/email", "/displayName", "/externalId"]))/>
            <LinkNotice result=Signal::derive(move || action.value().get().filter(Result::is_ok)) what="Invite link"/>
        </section>
    }
}

#[component]
fn UsersTable(
    list: Vec<UserSummary>,
    update: ServerAction<UpdateUser>,
    set_active: ServerAction<SetUserActive>,
    reset: ServerAction<PasswordResetLink>,
) -> impl IntoView {
    view! {
        <table class="data-table">
            <caption class="visually-hidden">"Users of this tenant"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"E-mail"</th>
                    <th scope="col">"Permission"</th>
                    <th scope="col">"External id"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|user| view! { <UserRow user update set_active reset/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn UserRow(
    user: UserSummary,
    update: ServerAction<UpdateUser>,
    set_active: ServerAction<SetUserActive>,
    reset: ServerAction<PasswordResetLink>,
) -> AnyView {
    let editing = RwSignal::new(false);
    let name = RwSignal::new(user.display_name.clone());
    let external_id = RwSignal::new(user.external_id.clone().unwrap_or_default());
    let role = RwSignal::new(user.role);
    let id = user.id.clone();
    let save = {
        let id = id.clone();
        move |_| {
            update.dispatch(UpdateUser {
                user_id: id.clone(),
                display_name: name.get_untracked(),
                role: role.get_untracked(),
                external_id: external_id.get_untracked(),
            });
            editing.set(false);
        }
    };
    let deactivated = user.status == UserStatus::Deactivated;
    let toggle = {
        let id = id.clone();
        move |_| {
            set_active.dispatch(SetUserActive {
                user_id: id.clone(),
                active: deactivated,
            });
        }
    };
    let issue_link = {
        let id = id.clone();
        move |_| {
            reset.dispatch(PasswordResetLink {
                user_id: id.clone(),
            });
        }
    };
    let link_label = if user.status == UserStatus::Invited {
        "New invite link"
    } else {
        "Password-reset link"
    };
    let email = user.email.clone();
    view! {
        <tr data-user=user.email.clone()>
            <Show
                when=move || editing.get()
                fallback={
                    let user = user.clone();
                    move || view! {
                        <td>{user.display_name.clone()}</td>
                        <td>{user.email.clone()}</td>
                        <td>{user.role.label()}</td>
                        <td>{user.external_id.clone().unwrap_or_default()}</td>
                    }
                }
            >
                <td><input aria-label="Name" bind:value=name/></td>
                <td>{email.clone()}</td>
                <td>
                    <select aria-label="Permission" on:change=move |event| {
                        if let Some(chosen) = Role::parse(&event_target_value(&event)) {
                            role.set(chosen);
                        }
                    }>
                        {role_options(role.get_untracked())}
                    </select>
                </td>
                <td><input aria-label="External id" bind:value=external_id/></td>
            </Show>
            <td>{user.status.label()}</td>
            <td class="row-actions">
                <Show
                    when=move || editing.get()
                    fallback=move || view! {
                        <button type="button" class="button" on:click=move |_| editing.set(true)>"Edit"</button>
                    }
                >
                    <button type="button" class="button primary" on:click=save.clone()>"Save"</button>
                    <button type="button" class="button" on:click=move |_| editing.set(false)>"Cancel"</button>
                </Show>
                <button type="button" class="button" on:click=toggle>
                    {if deactivated { "Activate" } else { "Deactivate" }}
                </button>
                {(!deactivated).then(|| view! {
                    <button type="button" class="button" on:click=issue_link.clone()>{link_label}</button>
                })}
            </td>
        </tr>
    }
    .into_any()
}
