terraform {
  # Nothing here is newer than `one()` (0.15); 1.5 is kept as the floor.
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
