//! AWS's shared configuration files, read as AWS's own tools read them: the profile
//! `AWS_PROFILE` names (else `default`) in `~/.aws/credentials` and `~/.aws/config` (or
//! where `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` point). They give the keys,
//! session token, region and endpoint a client takes where the environment sets none.

use std::path::PathBuf;

use ini::Ini;
use object_store::aws::AmazonS3ConfigKey;

use crate::engine::{Error, Result};

/// Settings of the profile in use, credentials file over config file; none where the files
/// are absent. A file that exists but cannot be read is an error naming it.
pub fn profile_settings() -> Result<Vec<(AmazonS3ConfigKey, String)>> {
    let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".to_string());
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let file = |variable: &str, name: &str| {
        std::env::var_os(variable)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(name)))
    };
    let mut settings = Vec::new();
    // In the config file a profile other than the default is "[profile NAME]".
    let config_section = match profile.as_str() {
        "default" => "default".to_string(),
        other => format!("profile {other}"),
    };
    let sources = [
        (file("AWS_CONFIG_FILE", "config"), config_section),
        (file("AWS_SHARED_CREDENTIALS_FILE", "credentials"), profile),
    ];
    for (path, section) in sources {
        let Some(path) = path.filter(|p| p.is_file()) else {
            continue;
        };
        let parsed = Ini::load_from_file(&path)
            .map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
        let Some(values) = parsed.section(Some(section.as_str())) else {
            continue;
        };
        for (name, key) in [
            ("aws_access_key_id", AmazonS3ConfigKey::AccessKeyId),
            ("aws_secret_access_key", AmazonS3ConfigKey::SecretAccessKey),
            ("aws_session_token", AmazonS3ConfigKey::Token),
            ("region", AmazonS3ConfigKey::Region),
            ("endpoint_url", AmazonS3ConfigKey::Endpoint),
        ] {
            if let Some(value) = values.get(name) {
                // Later files (the credentials file) take precedence: the last one set wins.
                settings.push((key, value.trim().to_string()));
            }
        }
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_profile_of_both_files_with_credentials_winning() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let credentials = dir.path().join("credentials");
        std::fs::write(
            &config,
            "[default]\nregion = eu-west-1\n[profile train]\nregion = us-east-2\n\
             endpoint_url = http://127.0.0.1:9000\naws_access_key_id = FROMCONFIG\n",
        )
        .unwrap();
        std::fs::write(
            &credentials,
            "[default]\naws_access_key_id = DEFAULTKEY\n[train]\n\
             aws_access_key_id = TRAINKEY\naws_secret_access_key = secret\n",
        )
        .unwrap();
        // The environment is the process's: set and read in this one test only.
        std::env::set_var("AWS_CONFIG_FILE", &config);
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &credentials);
        std::env::set_var("AWS_PROFILE", "train");
        let got = profile_settings().unwrap();
        std::env::remove_var("AWS_PROFILE");
        std::env::remove_var("AWS_CONFIG_FILE");
        std::env::remove_var("AWS_SHARED_CREDENTIALS_FILE");
        let last = |key: AmazonS3ConfigKey| {
            got.iter()
                .rev()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(last(AmazonS3ConfigKey::Region), Some("us-east-2"));
        assert_eq!(
            last(AmazonS3ConfigKey::Endpoint),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(last(AmazonS3ConfigKey::AccessKeyId), Some("TRAINKEY"));
        assert_eq!(last(AmazonS3ConfigKey::SecretAccessKey), Some("secret"));
    }
}
