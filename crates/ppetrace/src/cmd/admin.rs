use anyhow::Context;
use app::registry::OrgInput;
use clap::Subcommand;

use crate::config::Config;

#[derive(Subcommand)]
#[allow(clippy::enum_variant_names)] // the verbs as typed: `admin create-org | create-key | create-user`
pub enum AdminCmd {
    /// Register an organization and print its first API key.
    CreateOrg {
        #[arg(long)]
        name: String,
        /// manufacturer, distributor, employer, regulator or lab (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
        #[arg(long)]
        gln: Option<String>,
        /// Unified Social Credit Code (18 characters, GB 32100-2015).
        #[arg(long)]
        uscc: Option<String>,
        /// GS1 company prefix (repeatable).
        #[arg(long = "prefix")]
        prefixes: Vec<String>,
        #[arg(long)]
        city: Option<String>,
        /// Make the key a platform administrator's.
        #[arg(long)]
        admin: bool,
    },
    /// Create another API key for an organization.
    CreateKey {
        #[arg(long)]
        org: i64,
        #[arg(long, default_value = "cli")]
        label: String,
        #[arg(long)]
        admin: bool,
    },
    /// Create a console user; the password is read from the first line of standard
    /// input (never from the command line, where other users could see it).
    CreateUser {
        #[arg(long)]
        org: i64,
        #[arg(long)]
        username: String,
        /// manufacturer, employer, regulator, inspector, case_handler or admin (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
}

pub async fn run(cfg: Config, cmd: AdminCmd) -> anyhow::Result<()> {
    let app = cfg.open_app().await?;
    match cmd {
        AdminCmd::CreateOrg {
            name,
            roles,
            gln,
            uscc,
            prefixes,
            city,
            admin,
        } => {
            let org = app
                .create_org(
                    None,
                    &OrgInput {
                        name,
                        roles,
                        gln,
                        uscc,
                        company_prefixes: prefixes,
                        city,
                    },
                )
                .await
                .context("creating the organization")?;
            let key = app.create_api_key(None, org.id, admin, "first key").await?;
            println!("org-id: {}", org.id);
            println!("api-key: {}", key.secret);
        }
        AdminCmd::CreateKey { org, label, admin } => {
            let key = app.create_api_key(None, org, admin, &label).await?;
            println!("api-key: {}", key.secret);
        }
        AdminCmd::CreateUser {
            org,
            username,
            roles,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let user = app
                .create_user(
                    None,
                    &app::users::UserInput {
                        org_id: org,
                        username,
                        password,
                        roles,
                    },
                )
                .await
                .context("creating the user")?;
            println!("user-id: {}", user.id);
            println!("username: {}", user.username);
        }
    }
    Ok(())
}
