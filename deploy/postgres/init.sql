-- First start of the database (the postgres image runs /docker-entrypoint-initdb.d/*):
-- MLflow's basic-auth users and permissions live apart from the registry, so that they can
-- be locked down and backed up on their own (docs/deploy.md, "The databases").
CREATE DATABASE mlflow_auth OWNER mlflow;
