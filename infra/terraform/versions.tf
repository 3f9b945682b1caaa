terraform {
  # Preconditions (1.2) and `optional()` attributes (1.3) are used below.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ "managed-by" = "terraform", "app" = "esteira" }, var.tags)
  }
}
