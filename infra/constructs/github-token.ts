/**
 * The secret that holds the GitHub token. Only the container is managed here: the value is
 * put with `aws secretsmanager put-secret-value` (README, "Deploying to AWS"), so it is in
 * neither the code nor the Terraform state — there is deliberately no secret version resource.
 */
import { Construct } from 'constructs';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';

export interface GithubTokenSecretProps {
  readonly name: string;
  readonly repository: string;
  readonly kmsKeyArn?: string;
}

export class GithubTokenSecret extends Construct {
  readonly secret: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: GithubTokenSecretProps) {
    super(scope, id);
    this.secret = new SecretsmanagerSecret(this, 'secret', {
      name: props.name,
      description: `GitHub token for ${props.repository}: contents write (publishing) and Actions secrets write (key rotation). The value is a token, or JSON {"token": "..."}.`,
      ...(props.kmsKeyArn ? { kmsKeyId: props.kmsKeyArn } : {}),
      // `npm run destroy` deletes it at once: a torn-down deployment leaves no live credential
      // behind, and the name is free for a re-deploy (AWS refuses the name of a secret that is
      // only scheduled for deletion). Deleting it by hand still gets AWS's recovery window.
      recoveryWindowInDays: 0,
    });
  }
}
