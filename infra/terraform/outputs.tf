output "bucket_name" {
  description = "The artifact bucket."
  value       = aws_s3_bucket.artifacts.bucket
}

output "bucket_arn" {
  description = "ARN of the artifact bucket."
  value       = aws_s3_bucket.artifacts.arn
}

output "artifacts_uri" {
  description = "What esteira.yaml's `artifacts:` (or ESTEIRA_ARTIFACTS_URI) should say."
  value       = "s3://${aws_s3_bucket.artifacts.bucket}/${local.prefix}"
}

output "runner_policy_arn" {
  description = "The least-privilege policy for CI runners (attach it to an existing runner identity if you have one)."
  value       = aws_iam_policy.runner.arn
}

output "runner_role_arn" {
  description = "The role runners assume (null when runner_principal_arns is empty)."
  value       = one(aws_iam_role.runner[*].arn)
}

output "runner_user_name" {
  description = "The runner IAM user (null unless create_runner_user); create its access key with `aws iam create-access-key`."
  value       = one(aws_iam_user.runner[*].name)
}
