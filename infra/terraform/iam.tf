# Least privilege for CI runners: list, read, write and delete under the artifact prefix of this one bucket.

data "aws_iam_policy_document" "runner" {
  statement {
    sid       = "ListTheArtifactPrefix"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.artifacts.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [local.prefix, "${local.prefix}/*"]
    }
  }

  statement {
    sid       = "LocateTheBucket"
    effect    = "Allow"
    actions   = ["s3:GetBucketLocation"]
    resources = [aws_s3_bucket.artifacts.arn]
  }

  statement {
    sid    = "ReadWriteTheArtifactPrefix"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = [local.objects_arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseTheBucketKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_policy" "runner" {
  name        = "${var.name}-runner-artifacts"
  description = "Esteira CI runners: read and write s3://${var.bucket_name}/${local.prefix}/ only."
  policy      = data.aws_iam_policy_document.runner.json
}

# A role for runners that already have an AWS identity (instance profile, EKS pod role).
data "aws_iam_policy_document" "runner_trust" {
  count = length(var.runner_principal_arns) > 0 ? 1 : 0

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = var.runner_principal_arns
    }
  }
}

resource "aws_iam_role" "runner" {
  count = length(var.runner_principal_arns) > 0 ? 1 : 0

  name                 = "${var.name}-runner"
  description          = "Assumed by Esteira CI runners to share the artifact cache."
  assume_role_policy   = data.aws_iam_policy_document.runner_trust[0].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "runner" {
  count = length(var.runner_principal_arns) > 0 ? 1 : 0

  role       = aws_iam_role.runner[0].name
  policy_arn = aws_iam_policy.runner.arn
}

# A user for runners with no AWS identity (hosted GitLab/GitHub runners): its access key goes into masked CI
# variables. The key is created outside Terraform (aws iam create-access-key) so that it never enters the state.
resource "aws_iam_user" "runner" {
  count = var.create_runner_user ? 1 : 0

  name = "${var.name}-runner"
}

resource "aws_iam_user_policy_attachment" "runner" {
  count = var.create_runner_user ? 1 : 0

  user       = aws_iam_user.runner[0].name
  policy_arn = aws_iam_policy.runner.arn
}
