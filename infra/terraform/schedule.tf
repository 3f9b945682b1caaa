# Optional scheduled deploy (the seed's Lambda): EventBridge Scheduler starts a CodeBuild project that runs the
# Esteira image and deploys the champion. CodeBuild rather than Lambda: the deploy runs the same container as CI,
# with no 15-minute or package-size limit, and no second packaging of the CLI.

locals {
  scheduled   = var.enable_scheduled_deploy ? 1 : 0
  secret_arns = compact([var.kaggle_credentials_secret_arn, var.tracking_uri_secret_arn])
}

data "aws_caller_identity" "current" {}

resource "aws_cloudwatch_log_group" "deploy" {
  count = local.scheduled

  name              = "/esteira/${var.name}/scheduled-deploy"
  retention_in_days = 30
}

data "aws_iam_policy_document" "deploy_trust" {
  count = local.scheduled

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codebuild.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  count = local.scheduled

  name               = "${var.name}-scheduled-deploy"
  assume_role_policy = data.aws_iam_policy_document.deploy_trust[0].json
}

data "aws_iam_policy_document" "deploy" {
  count = local.scheduled

  statement {
    sid       = "WriteTheBuildLog"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.deploy[0].arn}:*"]
  }

  statement {
    sid    = "PullTheImage"
    effect = "Allow"
    actions = [
      # GetAuthorizationToken has no resource-level permissions: AWS requires "*".
      "ecr:GetAuthorizationToken",
      "ecr:BatchCheckLayerAvailability",
      "ecr:GetDownloadUrlForLayer",
      "ecr:BatchGetImage",
    ]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = length(local.secret_arns) > 0 ? [local.secret_arns] : []

    content {
      sid       = "ReadTheDeploySecrets"
      effect    = "Allow"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  count = local.scheduled

  name   = "scheduled-deploy"
  role   = aws_iam_role.deploy[0].id
  policy = data.aws_iam_policy_document.deploy[0].json
}

resource "aws_iam_role_policy_attachment" "deploy_artifacts" {
  count = local.scheduled

  role       = aws_iam_role.deploy[0].name
  policy_arn = aws_iam_policy.runner.arn
}

resource "aws_codebuild_project" "deploy" {
  count = local.scheduled

  name          = "${var.name}-scheduled-deploy"
  description   = "Runs esteira deploy with the champion (started by EventBridge Scheduler)."
  service_role  = aws_iam_role.deploy[0].arn
  build_timeout = 60

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    compute_type                = "BUILD_GENERAL1_SMALL"
    image                       = var.deploy_image
    type                        = "LINUX_CONTAINER"
    image_pull_credentials_type = "SERVICE_ROLE"

    environment_variable {
      name  = "ESTEIRA_ARTIFACTS_URI"
      value = "s3://${aws_s3_bucket.artifacts.bucket}/${local.prefix}"
    }

    dynamic "environment_variable" {
      for_each = var.kaggle_credentials_secret_arn == null ? {} : { KAGGLE_USERNAME = "username", KAGGLE_KEY = "key" }

      content {
        name  = environment_variable.key
        type  = "SECRETS_MANAGER"
        value = "${var.kaggle_credentials_secret_arn}:${environment_variable.value}"
      }
    }

    dynamic "environment_variable" {
      for_each = var.tracking_uri_secret_arn == null ? [] : [var.tracking_uri_secret_arn]

      content {
        name  = "ESTEIRA_TRACKING_URI"
        type  = "SECRETS_MANAGER"
        value = environment_variable.value
      }
    }
  }

  source {
    type     = var.workspace_source_type
    location = var.workspace_source_type == "NO_SOURCE" ? null : var.workspace_source_location
    buildspec = yamlencode({
      version = "0.2"
      phases = {
        build = {
          commands = var.deploy_commands
        }
      }
    })
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.deploy[0].name
    }
  }

  lifecycle {
    precondition {
      condition     = var.deploy_image != ""
      error_message = "enable_scheduled_deploy needs deploy_image: the Esteira image built from the repository's Dockerfile."
    }

    precondition {
      condition     = var.workspace_source_type == "NO_SOURCE" || var.workspace_source_location != null
      error_message = "workspace_source_location is required when workspace_source_type is not NO_SOURCE."
    }
  }
}

data "aws_iam_policy_document" "scheduler_trust" {
  count = local.scheduled

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    # Only schedules of this account may use the role (confused-deputy guard).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  count = local.scheduled

  name               = "${var.name}-deploy-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust[0].json
}

data "aws_iam_policy_document" "scheduler" {
  count = local.scheduled

  statement {
    sid       = "StartTheDeploy"
    effect    = "Allow"
    actions   = ["codebuild:StartBuild"]
    resources = [aws_codebuild_project.deploy[0].arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  count = local.scheduled

  name   = "start-deploy"
  role   = aws_iam_role.scheduler[0].id
  policy = data.aws_iam_policy_document.scheduler[0].json
}

resource "aws_scheduler_schedule" "deploy" {
  count = local.scheduled

  name                         = "${var.name}-scheduled-deploy"
  description                  = "Deploys the Esteira champion."
  schedule_expression          = var.deploy_schedule
  schedule_expression_timezone = var.deploy_schedule_timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "arn:aws:scheduler:::aws-sdk:codebuild:startBuild"
    role_arn = aws_iam_role.scheduler[0].arn
    input    = jsonencode({ ProjectName = aws_codebuild_project.deploy[0].name })

    # A retried start could submit twice and spend a second daily Kaggle submission.
    retry_policy {
      maximum_retry_attempts = 0
    }
  }
}
