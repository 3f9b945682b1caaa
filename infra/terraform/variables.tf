variable "region" {
  description = "AWS region of the artifact bucket."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name prefix of the runner's IAM policy, role and user."
  type        = string
  default     = "esteira"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,30}$", var.name))
    error_message = "name must start with a letter and hold at most 31 letters, digits or '-'."
  }
}

variable "bucket_name" {
  description = "Name of the artifact bucket (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit."
  }
}

variable "artifact_prefix" {
  description = "Key prefix of Esteira's objects in the bucket; esteira.yaml says artifacts: s3://BUCKET/PREFIX."
  type        = string
  default     = "esteira"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]+(/[a-zA-Z0-9_.-]+)*$", var.artifact_prefix))
    error_message = "artifact_prefix must be '/'-separated plain segments with no leading or trailing '/'."
  }
}

variable "noncurrent_version_days" {
  description = "Days after which an overwritten or deleted object's old version is removed."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "cache_expiration_days" {
  description = "Days after which stage outputs under PREFIX/cache/ expire (a later run recomputes them)."
  type        = number
  default     = 90

  validation {
    condition     = var.cache_expiration_days >= 1
    error_message = "cache_expiration_days must be at least 1."
  }
}

variable "abort_incomplete_upload_days" {
  description = "Days after which the parts of an interrupted multipart upload are removed."
  type        = number
  default     = 7
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS; null uses SSE-S3 (AES256)."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete a bucket that still holds objects."
  type        = bool
  default     = false
}

variable "runner_principal_arns" {
  description = "IAM principals (for example the CI runners' instance or pod role) allowed to assume the runner role; empty creates no role."
  type        = list(string)
  default     = []
}

variable "create_runner_user" {
  description = "Create an IAM user for runners that cannot assume a role; create its access key outside Terraform so that the secret never enters the state."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
